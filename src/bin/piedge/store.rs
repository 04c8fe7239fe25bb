//! The class board's runs in SQLite, under the server's data folder: one
//! writer (a mutex around one connection) and one reader beside it, WAL
//! with `synchronous=FULL`, so a run the server acknowledged survives the
//! process being killed, and a board poll never waits behind a write. The
//! data folder is the only place `piedge serve` writes, and it is private
//! to the server's user (the folder 0700, the database files 0600: they
//! hold the teacher code).
//!
//! Each run is kept whole (its report, for the JSON export and the one-run
//! view) and as the board's summary (what the poll sends), with where it
//! came from (`origin`: the server's own native run or a student's share),
//! which only this store sets. A share is admitted (`piedge::board::admit`)
//! inside the transaction that stores it.
//!
//! Another program holding the database (a teacher's `sqlite3` in a
//! transaction, a backup) makes a write fail after `BUSY_MS` with
//! `ApiError::BoardBusy`, rather than wait five seconds while the class's
//! polls queue behind it.

use anyhow::{Context, Result};
use piedge::api::ApiError;
use piedge::board::{self, Board, BoardRun, Origin, ShareCounts, SharedRun};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE_NAME: &str = "classroom.sqlite";

/// How long a call waits for another program's lock on the database.
const BUSY_MS: u32 = 250;

/// The schema's version (`PRAGMA user_version`): 1 added each run's
/// summary and origin.
const SCHEMA: i64 = 1;

pub struct Store {
    conn: Mutex<Connection>,
    /// Reads (the board, a run, the quotas' first look) on a connection of
    /// their own: WAL lets them go on while the writer waits or writes.
    reader: Mutex<Connection>,
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
    /// Opens (or makes) the database in `dir`, making the folder and its
    /// files private to this user.
    pub fn open(dir: &Path) -> Result<Store> {
        private_dir(dir)?;
        let path = dir.join(FILE_NAME);
        private_file(&path)?;
        let conn = Connection::open(&path).with_context(|| {
            format!("cannot open the class board's database {}", path.display())
        })?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = {BUSY_MS};
             CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS sessions (
                 id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL,
                 locked INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS runs (
                 id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id),
                 token TEXT, address TEXT, at_s REAL NOT NULL, hidden INTEGER NOT NULL DEFAULT 0,
                 run TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS runs_by_session ON runs(session);"
        ))
        .with_context(|| format!("{} is not a class board database", path.display()))?;
        migrate(&conn).with_context(|| format!("cannot update {}", path.display()))?;
        // WAL's two companion files take the database's mode when SQLite
        // makes them; ones an older server made are tightened here.
        for companion in ["-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(companion);
            let name = Path::new(&name);
            if name.exists() {
                private_file(name)?;
            }
        }
        let reader = Connection::open(&path).with_context(|| {
            format!("cannot open the class board's database {}", path.display())
        })?;
        reader.execute_batch(&format!(
            "PRAGMA busy_timeout = {BUSY_MS}; PRAGMA query_only = 1;"
        ))?;
        let store = Store {
            conn: Mutex::new(conn),
            reader: Mutex::new(reader),
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

    fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A setting kept across restarts, made by `make` the first time.
    pub fn setting(&self, key: &str, make: impl FnOnce() -> String) -> Result<String> {
        let conn = self.lock();
        let found: Option<String> = conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(clear)?;
        if let Some(v) = found {
            return Ok(v);
        }
        let value = make();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .map_err(clear)?;
        Ok(value)
    }

    /// Replaces a setting (a new teacher code).
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(clear)?;
        Ok(())
    }

    pub fn session(&self) -> Result<Option<Session>> {
        current_session(&self.read())
    }

    /// The session runs go into (`open` always leaves one).
    pub fn current(&self) -> Result<Session> {
        self.session()?.context("the database has no class session")
    }

    pub fn new_session(&self, name: &str) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO sessions (name, created) VALUES (?1, ?2)",
                params![name, crate::host::timestamp()],
            )
            .map_err(clear)?;
        Ok(())
    }

    pub fn set_locked(&self, locked: bool) -> Result<()> {
        let id = self.current()?.id;
        self.lock()
            .execute(
                "UPDATE sessions SET locked = ?1 WHERE id = ?2",
                params![locked, id],
            )
            .map_err(clear)?;
        Ok(())
    }

    pub fn set_released(&self, released: bool) -> Result<()> {
        let id = self.current()?.id;
        self.lock()
            .execute(
                "UPDATE sessions SET released = ?1 WHERE id = ?2",
                params![released, id],
            )
            .map_err(clear)?;
        Ok(())
    }

    /// What the quotas need to know about one more share from `token` at
    /// `address`: the lock and the counts.
    pub fn share_counts(&self, token: &str, address: Option<&str>) -> Result<ShareCounts> {
        counts(&self.read(), token, address)
    }

    /// Stores a student's shared `run` in the current session if
    /// `piedge::board::admit` lets it in, decided in the same transaction as
    /// the insert; its id once committed. A refusal is an `ApiError`.
    pub fn add_share(&self, run: &SharedRun, token: &str, address: Option<String>) -> Result<u64> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(clear)?;
        board::admit(&counts(&tx, token, address.as_deref())?)?;
        let id = insert(&tx, run, Origin::Student, Some(token), address)?;
        tx.commit().map_err(clear)?;
        Ok(id)
    }

    /// Stores a run this server made itself (a native job).
    pub fn add_server_run(&self, run: &SharedRun) -> Result<u64> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(clear)?;
        let id = insert(&tx, run, Origin::Server, None, None)?;
        tx.commit().map_err(clear)?;
        Ok(id)
    }

    /// The current session's board, a summary per run; hidden runs only
    /// for the teacher.
    pub fn board(&self, with_hidden: bool) -> Result<Board> {
        let (s, runs) = self.rows(
            "summary",
            with_hidden,
            None,
            |run: &mut BoardRun, hidden, origin| {
                run.hidden = hidden;
                run.origin = origin;
            },
        )?;
        Ok(Board {
            session: s.name,
            locked: s.locked,
            released: s.released,
            runs,
        })
    }

    /// Run `id` of the current session, whole (hidden only for the teacher).
    pub fn run(&self, id: u64, with_hidden: bool) -> Result<Option<SharedRun>> {
        Ok(self.runs(with_hidden, Some(id))?.into_iter().next())
    }

    /// Every run of the current session, whole (hidden ones too when asked).
    pub fn all_runs(&self, with_hidden: bool) -> Result<Vec<SharedRun>> {
        self.runs(with_hidden, None)
    }

    fn runs(&self, with_hidden: bool, only: Option<u64>) -> Result<Vec<SharedRun>> {
        let (_, runs) = self.rows(
            "run",
            with_hidden,
            only,
            |run: &mut SharedRun, hidden, origin| {
                run.hidden = hidden;
                run.origin = origin;
            },
        )?;
        Ok(runs)
    }

    /// The current session's runs as one JSON column holds them (`summary`,
    /// the poll's, or `run`, whole), each given the hidden flag and origin
    /// the store keeps beside it (`mark`); only run `only` when asked.
    fn rows<T: serde::de::DeserializeOwned>(
        &self,
        column: &'static str,
        with_hidden: bool,
        only: Option<u64>,
        mark: impl Fn(&mut T, bool, Origin),
    ) -> Result<(Session, Vec<T>)> {
        let conn = self.read();
        let s = current_session(&conn)?.context("the database has no class session")?;
        let mut query = conn
            .prepare_cached(&format!(
                "SELECT {column}, hidden, origin FROM runs
                 WHERE session = ?1 AND (?2 OR hidden = 0) AND (?3 IS NULL OR id = ?3)
                 ORDER BY id"
            ))
            .map_err(clear)?;
        let only = only.map(|id| id as i64);
        let runs = query
            .query_map(params![s.id, with_hidden, only], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(clear)?
            .map(|row| -> Result<T> {
                let (json, hidden, origin) = row.map_err(clear)?;
                let mut run: T = serde_json::from_str(&json)?;
                mark(&mut run, hidden, origin_of(&origin));
                Ok(run)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((s, runs))
    }

    /// Hides or shows run `id`; false if there is none.
    pub fn set_hidden(&self, id: u64, hidden: bool) -> Result<bool> {
        let n = self
            .lock()
            .execute(
                "UPDATE runs SET hidden = ?1 WHERE id = ?2",
                params![hidden, id as i64],
            )
            .map_err(clear)?;
        Ok(n > 0)
    }

    pub fn remove(&self, id: u64) -> Result<bool> {
        let n = self
            .lock()
            .execute("DELETE FROM runs WHERE id = ?1", params![id as i64])
            .map_err(clear)?;
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

fn current_session(conn: &Connection) -> Result<Option<Session>> {
    conn.query_row(
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
    .optional()
    .map_err(clear)
}

/// The lock and the runs of the current session shared by `token` or from
/// `address` in the last minute, and in all.
fn counts(conn: &Connection, token: &str, address: Option<&str>) -> Result<ShareCounts> {
    let session = current_session(conn)?.context("the database has no class session")?;
    let since = now_s() - 60.0;
    let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<usize> {
        Ok(conn
            .query_row(sql, p, |r| r.get::<_, i64>(0))
            .map_err(clear)? as usize)
    };
    Ok(ShareCounts {
        locked: session.locked,
        by_token: count(
            "SELECT COUNT(*) FROM runs WHERE session = ?1 AND token = ?2 AND at_s > ?3",
            &[&session.id, &token, &since],
        )?,
        by_address: count(
            "SELECT COUNT(*) FROM runs WHERE session = ?1 AND address = ?2 AND at_s > ?3",
            &[&session.id, &address, &since],
        )?,
        in_session: count(
            "SELECT COUNT(*) FROM runs WHERE session = ?1",
            &[&session.id],
        )?,
    })
}

/// Inserts `run` into the current session, with its id, time and origin
/// set here, whatever the run says.
fn insert(
    conn: &Connection,
    run: &SharedRun,
    origin: Origin,
    token: Option<&str>,
    address: Option<String>,
) -> Result<u64> {
    let session = current_session(conn)?
        .context("the database has no class session")?
        .id;
    conn.execute(
        "INSERT INTO runs (session, token, address, at_s, run, origin) VALUES (?1, ?2, ?3, ?4, '', ?5)",
        params![session, token, address, now_s(), origin_name(origin)],
    )
    .map_err(clear)?;
    let id = conn.last_insert_rowid() as u64;
    let mut run = run.clone();
    run.id = id;
    run.origin = origin;
    run.shared_at = crate::host::timestamp();
    conn.execute(
        "UPDATE runs SET run = ?1, summary = ?2 WHERE id = ?3",
        params![
            serde_json::to_string(&run)?,
            serde_json::to_string(&run.summary())?,
            id as i64
        ],
    )
    .map_err(clear)?;
    Ok(id)
}

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Student => "student",
        Origin::Server => "server",
    }
}

fn origin_of(name: &str) -> Origin {
    if name == "server" {
        Origin::Server
    } else {
        Origin::Student
    }
}

/// Brings a database from an older `piedge serve` up to [`SCHEMA`]: each
/// run gets its summary and its origin (the runs an older server stored
/// without a token were its own native runs).
fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= SCHEMA {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    let has_summary = tx
        .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'summary'")?
        .exists([])?;
    if !has_summary {
        tx.execute_batch(
            "ALTER TABLE runs ADD COLUMN summary TEXT;
             ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'student';
             UPDATE runs SET origin = 'server' WHERE token IS NULL;",
        )?;
    }
    let old: Vec<(i64, String, String)> = tx
        .prepare("SELECT id, run, origin FROM runs WHERE summary IS NULL AND run != ''")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, json, origin) in old {
        let Ok(mut run) = serde_json::from_str::<SharedRun>(&json) else {
            continue;
        };
        run.origin = origin_of(&origin);
        tx.execute(
            "UPDATE runs SET run = ?1, summary = ?2 WHERE id = ?3",
            params![
                serde_json::to_string(&run)?,
                serde_json::to_string(&run.summary())?,
                id
            ],
        )?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA};"))?;
    tx.commit()?;
    Ok(())
}

/// A SQLite error, with a lock held by another program said clearly (an
/// `ApiError` the handlers pass on as `503`).
fn clear(e: rusqlite::Error) -> anyhow::Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match e.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => anyhow::Error::new(ApiError::BoardBusy),
        _ => anyhow::Error::new(e),
    }
}

/// Makes `dir` (and its parents) if needed, and private to this user.
fn private_dir(dir: &Path) -> Result<()> {
    let cannot = || format!("cannot create the data folder {}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(cannot)?;
        }
        let mode = std::fs::metadata(dir)
            .with_context(cannot)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))
                .with_context(|| {
                    format!(
                        "cannot make the data folder {} private to this user (chmod 700)",
                        dir.display()
                    )
                })?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_context(cannot)?;
    Ok(())
}

/// Makes `path` if it is missing, readable and writable by this user only.
fn private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private (chmod 600)", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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
mod tests;
