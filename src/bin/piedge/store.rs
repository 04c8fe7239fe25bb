//! The class board's runs in SQLite, under the server's data folder: one
//! writer (a mutex around one connection), WAL with `synchronous=FULL`, so
//! a run the server acknowledged survives the process being killed. The
//! data folder is the only place `piedge serve` writes.

use anyhow::{Context, Result};
use piedge::board::{Board, SharedRun};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE_NAME: &str = "classroom.sqlite";

pub struct Store {
    conn: Mutex<Connection>,
    pub path: PathBuf,
}

/// The class session runs are shared into: the newest one.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: i64,
    pub name: String,
    pub locked: bool,
    pub released: bool,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
        let path = dir.join(FILE_NAME);
        let conn = Connection::open(&path).with_context(|| {
            format!("cannot open the class board's database {}", path.display())
        })?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS sessions (
                 id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL,
                 locked INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS runs (
                 id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id),
                 token TEXT, address TEXT, at_s REAL NOT NULL, hidden INTEGER NOT NULL DEFAULT 0,
                 run TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS runs_by_session ON runs(session);",
        )
        .with_context(|| format!("{} is not a class board database", path.display()))?;
        let store = Store {
            conn: Mutex::new(conn),
            path,
        };
        if store.session()?.is_none() {
            // Named by its day until the teacher names one.
            let today: String = crate::host::timestamp().chars().take(10).collect();
            store.new_session(&today)?;
        }
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A setting kept across restarts, made by `make` the first time.
    pub fn setting(&self, key: &str, make: impl FnOnce() -> String) -> Result<String> {
        let conn = self.lock();
        let found: Option<String> = conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(v) = found {
            return Ok(v);
        }
        let value = make();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(value)
    }

    pub fn session(&self) -> Result<Option<Session>> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                "SELECT id, name, locked, released FROM sessions ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(Session {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        locked: r.get(2)?,
                        released: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// The session runs go into (`open` always leaves one).
    pub fn current(&self) -> Result<Session> {
        self.session()?.context("the database has no class session")
    }

    pub fn new_session(&self, name: &str) -> Result<()> {
        self.lock().execute(
            "INSERT INTO sessions (name, created) VALUES (?1, ?2)",
            params![name, crate::host::timestamp()],
        )?;
        Ok(())
    }

    pub fn set_locked(&self, locked: bool) -> Result<()> {
        let id = self.current()?.id;
        self.lock().execute(
            "UPDATE sessions SET locked = ?1 WHERE id = ?2",
            params![locked, id],
        )?;
        Ok(())
    }

    pub fn set_released(&self, released: bool) -> Result<()> {
        let id = self.current()?.id;
        self.lock().execute(
            "UPDATE sessions SET released = ?1 WHERE id = ?2",
            params![released, id],
        )?;
        Ok(())
    }

    /// Stores `run` in the current session; its id once committed.
    pub fn add(
        &self,
        run: &SharedRun,
        token: Option<&str>,
        address: Option<String>,
    ) -> Result<u64> {
        let session = self.current()?.id;
        let at_s = now_s();
        let conn = self.lock();
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO runs (session, token, address, at_s, run) VALUES (?1, ?2, ?3, ?4, '')",
            params![session, token, address, at_s],
        )?;
        let id = tx.last_insert_rowid() as u64;
        let mut run = run.clone();
        run.id = id;
        run.shared_at = crate::host::timestamp();
        tx.execute(
            "UPDATE runs SET run = ?1 WHERE id = ?2",
            params![serde_json::to_string(&run)?, id as i64],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Runs of the current session, shared by `token` or from `address`, in
    /// the last minute, and in all.
    pub fn counts(&self, token: &str, address: Option<&str>) -> Result<(usize, usize, usize)> {
        let session = self.current()?.id;
        let since = now_s() - 60.0;
        let conn = self.lock();
        let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<usize> {
            Ok(conn.query_row(sql, p, |r| r.get::<_, i64>(0))? as usize)
        };
        Ok((
            count(
                "SELECT COUNT(*) FROM runs WHERE session = ?1 AND token = ?2 AND at_s > ?3",
                &[&session, &token, &since],
            )?,
            count(
                "SELECT COUNT(*) FROM runs WHERE session = ?1 AND address = ?2 AND at_s > ?3",
                &[&session, &address, &since],
            )?,
            count("SELECT COUNT(*) FROM runs WHERE session = ?1", &[&session])?,
        ))
    }

    /// The current session's board; hidden runs only for the teacher.
    pub fn board(&self, with_hidden: bool) -> Result<Board> {
        let s = self.current()?;
        let conn = self.lock();
        let mut query = conn.prepare(
            "SELECT run, hidden FROM runs WHERE session = ?1 AND (?2 OR hidden = 0) ORDER BY id",
        )?;
        let runs = query
            .query_map(params![s.id, with_hidden], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
            })?
            .map(|row| -> Result<SharedRun> {
                let (json, hidden) = row?;
                let mut run: SharedRun = serde_json::from_str(&json)?;
                run.hidden = hidden;
                Ok(run)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Board {
            session: s.name,
            locked: s.locked,
            released: s.released,
            runs,
        })
    }

    /// Hides or shows run `id`; false if there is none.
    pub fn set_hidden(&self, id: u64, hidden: bool) -> Result<bool> {
        let n = self.lock().execute(
            "UPDATE runs SET hidden = ?1 WHERE id = ?2",
            params![hidden, id as i64],
        )?;
        Ok(n > 0)
    }

    pub fn remove(&self, id: u64) -> Result<bool> {
        let n = self
            .lock()
            .execute("DELETE FROM runs WHERE id = ?1", params![id as i64])?;
        Ok(n > 0)
    }

    /// SQLite's own check of the file: "ok" when it is sound.
    #[cfg(test)]
    pub fn integrity(&self) -> Result<String> {
        Ok(self
            .lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Where the board's data lives unless `--data-dir` says otherwise: the
/// user's data folder (`$XDG_DATA_HOME`, `~/.local/share`, `%LOCALAPPDATA%`).
pub fn default_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = env("XDG_DATA_HOME")
        .or_else(|| env("LOCALAPPDATA"))
        .or_else(|| env("HOME").map(|h| h.join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("piedge")
}

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(nickname: &str) -> SharedRun {
        let report =
            piedge::report::parse_results_json(br#"{"raw_latencies": [1.0, 2.0, 3.0]}"#).unwrap();
        let mut r = piedge::board::native_run(report);
        r.nickname = nickname.into();
        r
    }

    #[test]
    fn runs_round_trip_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store
            .add(&run("Ada"), Some("t1"), Some("127.0.0.1".into()))
            .unwrap();
        store.add(&run("Bo"), Some("t2"), None).unwrap();
        store.set_hidden(a, true).unwrap();
        assert_eq!(store.board(false).unwrap().runs.len(), 1);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let board = store.board(true).unwrap();
        assert_eq!(board.runs.len(), 2);
        assert_eq!(
            (
                board.runs[0].nickname.as_str(),
                board.runs[0].hidden,
                board.runs[0].id
            ),
            ("Ada", true, a)
        );
        assert_eq!(board.runs[0].report.raw_latencies, vec![1.0, 2.0, 3.0]);
        assert_eq!(store.counts("t1", Some("127.0.0.1")).unwrap(), (1, 1, 2));
        store.new_session("class 2").unwrap();
        assert_eq!(
            store.board(true).unwrap().runs.len(),
            0,
            "a new session starts empty"
        );
        assert_eq!(store.integrity().unwrap(), "ok");
        let code = store.setting("teacher_code", || "ABC".into()).unwrap();
        assert_eq!(
            store.setting("teacher_code", || "XYZ".into()).unwrap(),
            code
        );
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        store.add(&run(&format!("{t}-{i}")), None, None).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(store.board(false).unwrap().runs.len(), 200);
        assert_eq!(store.integrity().unwrap(), "ok");
    }
}
