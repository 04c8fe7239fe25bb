//! The guard around every call into tract: tract assumes well-formed graphs
//! in places and panics on a damaged file; natively that panic becomes
//! [`ModelError::TractPanic`], a readable error, instead of ending the
//! program. (A wasm build aborts on any panic; the page replaces the worker.)

use super::ModelError;

thread_local! {
    static GUARDS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// True while this thread is inside a call into tract whose panic the
/// engine turns into [`ModelError::TractPanic`]; a program's panic hook can
/// stay quiet then. (Natively. A wasm build aborts on any panic, so in the
/// browser the worker dies and the page replaces it.)
pub fn panic_becomes_error() -> bool {
    GUARDS.with(|g| g.get() > 0)
}

/// Runs `f`, turning a panic inside tract into an error: tract assumes
/// well-formed graphs in places, and a damaged file must not stop the program.
pub(crate) fn guarded<T>(
    name: &str,
    stage: &'static str,
    f: impl FnOnce() -> Result<T, ModelError>,
) -> Result<T, ModelError> {
    GUARDS.with(|g| g.set(g.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDS.with(|g| g.set(g.get() - 1));
    result.unwrap_or_else(|payload| {
        Err(ModelError::TractPanic {
            name: name.to_string(),
            stage: stage.to_string(),
            detail: panic_text(&*payload).unwrap_or("a panic").to_string(),
        })
    })
}

/// The message a panic carries (`panic!` with text or a format string).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}
