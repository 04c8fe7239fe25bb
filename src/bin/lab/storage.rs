//! Kept runs in the browser's IndexedDB, so they survive a reload and a
//! crashed worker. Each run is stored as the JSON of its `RunRecord` under
//! its id; JSON keeps every latency exact.

use crate::dom::{js_text, window};
use piedge::lab::session::RunRecord;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

const DB_NAME: &str = "piedge-lab";
const DB_VERSION: u32 = 1;
const STORE: &str = "runs";

thread_local! {
    static DB: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

/// Why storage failed: no database at all, or the browser's reason.
pub use piedge::lab::state::StorageProblem as StorageError;

async fn db() -> Result<IdbDatabase, StorageError> {
    if let Some(db) = DB.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let factory = window()
        .indexed_db()
        .map_err(|e| StorageError::Failed(js_text(e)))?
        .ok_or(StorageError::Unavailable)?;
    let open = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    let on_upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let req: web_sys::IdbOpenDbRequest = e.target().expect("a request").unchecked_into();
        if let Ok(result) = req.result() {
            let db: IdbDatabase = result.unchecked_into();
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let result = request(&open).await;
    drop(on_upgrade);
    let db: IdbDatabase = result?.unchecked_into();
    DB.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// Waits for a request's success (its result) or error.
async fn request(req: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let r = req.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &r.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r = req.clone();
        let err = Closure::once_into_js(move || {
            let message = r
                .error()
                .ok()
                .flatten()
                .map(|e| format!("{}: {}", e.name(), e.message()));
            let _ = reject.call1(
                &JsValue::NULL,
                &JsValue::from_str(&message.unwrap_or_else(|| "unknown".into())),
            );
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(err.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map_err(|e| StorageError::Failed(js_text(e)))
}

/// Waits until a read-write transaction is durable, or reports why not (a
/// full quota aborts it with QuotaExceededError).
async fn committed(tx: &web_sys::IdbTransaction) -> Result<(), StorageError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let t = tx.clone();
        let reject2 = reject.clone();
        let failed = Closure::once_into_js(move || {
            let message = t.error().map(|e| format!("{}: {}", e.name(), e.message()));
            let _ = reject2.call1(
                &JsValue::NULL,
                &JsValue::from_str(&message.unwrap_or_else(|| "aborted".into())),
            );
        });
        tx.set_oncomplete(Some(done.unchecked_ref()));
        tx.set_onerror(Some(failed.unchecked_ref()));
        tx.set_onabort(Some(failed.unchecked_ref()));
        let _ = reject;
    });
    JsFuture::from(promise)
        .await
        .map(drop)
        .map_err(|e| StorageError::Failed(js_text(e)))
}

fn store(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<(web_sys::IdbTransaction, web_sys::IdbObjectStore), StorageError> {
    let tx = db
        .transaction_with_str_and_mode(STORE, mode)
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    let store = tx
        .object_store(STORE)
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    Ok((tx, store))
}

/// Every kept run, oldest first. Entries that no longer parse are skipped
/// (and reported in the console) rather than failing the whole list.
pub async fn load_all() -> Result<Vec<RunRecord>, StorageError> {
    let db = db().await?;
    let (_tx, store) = store(&db, IdbTransactionMode::Readonly)?;
    let all = request(
        &store
            .get_all()
            .map_err(|e| StorageError::Failed(js_text(e)))?,
    )
    .await?;
    let mut runs: Vec<RunRecord> = js_sys::Array::from(&all)
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|json| match serde_json::from_str::<RunRecord>(&json) {
            Ok(r) => Some(r),
            Err(e) => {
                web_sys::console::warn_1(&format!("skipping an unreadable stored run: {e}").into());
                None
            }
        })
        .collect();
    runs.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms));
    Ok(runs)
}

pub async fn put(run: &RunRecord) -> Result<(), StorageError> {
    let json = serde_json::to_string(run).map_err(|e| StorageError::Failed(e.to_string()))?;
    let db = db().await?;
    let (tx, store) = store(&db, IdbTransactionMode::Readwrite)?;
    store
        .put_with_key(&JsValue::from_str(&json), &JsValue::from_str(&run.id))
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    committed(&tx).await
}

pub async fn delete(id: &str) -> Result<(), StorageError> {
    let db = db().await?;
    let (tx, store) = store(&db, IdbTransactionMode::Readwrite)?;
    store
        .delete(&JsValue::from_str(id))
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    committed(&tx).await
}

pub async fn clear() -> Result<(), StorageError> {
    let db = db().await?;
    let (tx, store) = store(&db, IdbTransactionMode::Readwrite)?;
    store
        .clear()
        .map_err(|e| StorageError::Failed(js_text(e)))?;
    committed(&tx).await
}

/// The questions' answers live in `localStorage` (one small JSON string,
/// written as the student types), apart from the runs.
const ANSWERS_KEY: &str = "piedge-lab-answers";

/// The teacher's ticked checklist items (teacher mode), beside the answers.
const CHECKLIST_KEY: &str = "piedge-lab-checklist";

/// The kept answers, if the browser has any (and lets the page read them).
pub fn load_answers() -> Option<String> {
    load_local(ANSWERS_KEY)
}

/// Keeps the answers; a browser that refuses (a private window, a full
/// quota) leaves them in the tab, and says so once.
pub fn store_answers(json: &str) -> Result<(), String> {
    store_local(ANSWERS_KEY, json)
}

/// The teacher's ticked checklist items, if the browser kept any.
pub fn load_checklist() -> Option<String> {
    load_local(CHECKLIST_KEY)
}

pub fn store_checklist(json: &str) -> Result<(), String> {
    store_local(CHECKLIST_KEY, json)
}

fn load_local(key: &str) -> Option<String> {
    let store = window().local_storage().ok()??;
    store.get_item(key).ok()?
}

fn store_local(key: &str, json: &str) -> Result<(), String> {
    let store = window()
        .local_storage()
        .map_err(js_text)?
        .ok_or("no localStorage")?;
    store.set_item(key, json).map_err(js_text)
}

#[cfg(test)]
mod tests {
    //! Run in headless Chromium with the real IndexedDB:
    //! `cargo test --target wasm32-unknown-unknown --no-default-features --features ui --bin lab`.
    use super::*;
    use piedge::lab::session;
    use piedge::report;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn record(id: &str, created_ms: f64, latencies: &[f64]) -> RunRecord {
        session::import(
            "latency.csv",
            &report::latency_csv(latencies),
            id.into(),
            created_ms,
        )
        .unwrap()
        .remove(0)
    }

    #[wasm_bindgen_test]
    async fn runs_survive_a_round_trip_exactly() {
        clear().await.unwrap();
        let a = record("a", 2.0, &[0.1 + 0.2, 1.0 / 3.0]);
        let b = record("b", 1.0, &[5.0]);
        put(&a).await.unwrap();
        put(&b).await.unwrap();
        let all = load_all().await.unwrap();
        assert_eq!(
            all,
            vec![b.clone(), a.clone()],
            "oldest first, latencies exact"
        );

        let mut renamed = a.clone();
        renamed.name = "renamed".into();
        put(&renamed).await.unwrap();
        delete("b").await.unwrap();
        assert_eq!(load_all().await.unwrap(), vec![renamed]);
        clear().await.unwrap();
        assert!(load_all().await.unwrap().is_empty());
    }

    #[wasm_bindgen_test]
    async fn unreadable_entries_are_skipped_not_fatal() {
        clear().await.unwrap();
        put(&record("good", 1.0, &[1.0])).await.unwrap();
        let db = db().await.unwrap();
        let (tx, s) = store(&db, IdbTransactionMode::Readwrite).unwrap();
        s.put_with_key(&JsValue::from_str("{not json"), &JsValue::from_str("bad"))
            .unwrap();
        committed(&tx).await.unwrap();
        let all = load_all().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, "good");
        clear().await.unwrap();
    }
}
