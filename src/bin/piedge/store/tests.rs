use super::*;

fn run(nickname: &str) -> SharedRun {
    let report =
        piedge::report::parse_results_json(br#"{"raw_latencies": [1.0, 2.0, 3.0]}"#).unwrap();
    let mut r = piedge::board::native_run(report);
    r.nickname = nickname.into();
    r.origin = Origin::Student;
    r
}

#[test]
fn runs_round_trip_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = store
        .add_share(&run("Ada"), "t1", Some("127.0.0.1".into()))
        .unwrap();
    store.add_share(&run("Bo"), "t2", None).unwrap();
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
    let whole = store.run(a, true).unwrap().unwrap();
    assert_eq!(whole.report.raw_latencies, vec![1.0, 2.0, 3.0]);
    assert_eq!(whole.summary(), board.runs[0]);
    assert_eq!(store.run(a, false).unwrap(), None, "hidden from students");
    let counts = store.share_counts("t1", Some("127.0.0.1")).unwrap();
    assert_eq!(
        (counts.by_token, counts.by_address, counts.in_session),
        (1, 1, 2)
    );
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
    store.set_setting("teacher_code", "NEW").unwrap();
    assert_eq!(
        store.setting("teacher_code", || "XYZ".into()).unwrap(),
        "NEW"
    );
}

#[test]
fn the_store_says_where_a_run_came_from_whatever_the_run_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut claims = run("server");
    claims.origin = Origin::Server;
    let shared = store.add_share(&claims, "t", None).unwrap();
    let ours = store.add_server_run(&run("server")).unwrap();
    let board = store.board(false).unwrap();
    let origin = |id| board.runs.iter().find(|r| r.id == id).unwrap().origin;
    assert_eq!(
        (origin(shared), origin(ours)),
        (Origin::Student, Origin::Server)
    );
    assert_eq!(
        store.run(shared, false).unwrap().unwrap().origin,
        Origin::Student
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
                    store.add_server_run(&run(&format!("{t}-{i}"))).unwrap();
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

#[test]
fn two_shares_at_the_limit_cannot_both_pass() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
    let limit = piedge::limits::SHARES_PER_TOKEN_PER_MINUTE;
    for i in 0..limit - 1 {
        store.add_share(&run(&format!("{i}")), "t", None).unwrap();
    }
    // Both asked before either stored: the early check lets both through.
    assert!(piedge::board::admit(&store.share_counts("t", None).unwrap()).is_ok());
    let outcomes: Vec<_> = (0..2)
        .map(|n| {
            let store = store.clone();
            std::thread::spawn(move || store.add_share(&run(&format!("late {n}")), "t", None))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let refused: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .map(|e| e.downcast_ref::<ApiError>().cloned())
        .collect();
    assert_eq!(
        refused,
        vec![Some(ApiError::TooManyShares { per_minute: limit })]
    );
    assert_eq!(store.board(false).unwrap().runs.len(), limit);
}

#[test]
fn another_programs_write_lock_is_a_quick_clear_refusal_and_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.add_share(&run("Ada"), "t", None).unwrap();
    // A teacher's sqlite3 in the middle of a transaction.
    let other = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO settings VALUES ('other', 'x');")
        .unwrap();
    let t0 = std::time::Instant::now();
    let e = store.add_share(&run("Bo"), "t", None).unwrap_err();
    assert_eq!(
        e.downcast_ref::<ApiError>(),
        Some(&ApiError::BoardBusy),
        "{e:#}"
    );
    let waited = t0.elapsed();
    assert!(waited < std::time::Duration::from_secs(2), "{waited:?}");
    assert_eq!(
        store.board(false).unwrap().runs.len(),
        1,
        "the board reads on"
    );
    other.execute_batch("ROLLBACK;").unwrap();
    drop(other);
    store.add_share(&run("Bo"), "t", None).unwrap();
    assert_eq!(store.board(false).unwrap().runs.len(), 2);
}

#[test]
fn a_database_from_an_older_server_gets_summaries_and_origins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        // The schema and rows an older piedge serve wrote.
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL,
                 locked INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE runs (id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id),
                 token TEXT, address TEXT, at_s REAL NOT NULL, hidden INTEGER NOT NULL DEFAULT 0,
                 run TEXT NOT NULL);
             INSERT INTO sessions (name, created) VALUES ('old', 'then');",
        )
        .unwrap();
        for (id, token) in [(1i64, Some("t")), (2, None)] {
            let mut r = run(if token.is_some() { "Ada" } else { "server" });
            r.id = id as u64;
            // Written before runs had an origin.
            let mut json = serde_json::to_value(&r).unwrap();
            json.as_object_mut().unwrap().remove("origin");
            old.execute(
                "INSERT INTO runs (id, session, token, at_s, run) VALUES (?1, 1, ?2, 0, ?3)",
                params![id, token, json.to_string()],
            )
            .unwrap();
        }
    }
    let store = Store::open(dir.path()).unwrap();
    let board = store.board(false).unwrap();
    let seen: Vec<(&str, Origin)> = board
        .runs
        .iter()
        .map(|r| (r.nickname.as_str(), r.origin))
        .collect();
    assert_eq!(
        seen,
        vec![("Ada", Origin::Student), ("server", Origin::Server)]
    );
    assert_eq!(board.runs[0].statistics.p50, 2.0);
    drop(store);
    assert_eq!(
        Store::open(dir.path()).unwrap().board(false).unwrap(),
        board,
        "migrated once"
    );
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let fresh = parent.path().join("new");
    let store = Store::open(&fresh).unwrap();
    store.add_share(&run("Ada"), "t", None).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    for file in [
        "classroom.sqlite",
        "classroom.sqlite-wal",
        "classroom.sqlite-shm",
    ] {
        assert_eq!(mode(&fresh.join(file)), 0o600, "{file}");
    }
    drop(store);
    // An older server's folder and database, readable by everyone.
    let old = parent.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(fresh.join(FILE_NAME), old.join(FILE_NAME)).unwrap();
    std::fs::set_permissions(old.join(FILE_NAME), std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&old).unwrap();
    assert_eq!((mode(&old), mode(&old.join(FILE_NAME))), (0o700, 0o600));
}
