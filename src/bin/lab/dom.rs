//! Small wrappers over browser APIs the interface needs: fetching files of
//! the bundle, reading a chosen file, offering bytes as a download, and
//! facts about the browser.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the lab runs in a window")
}

/// Fetches a file of the bundle (relative to the page) as bytes.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let resp = fetch(url).await?;
    let buf = JsFuture::from(resp.array_buffer().map_err(js_text)?)
        .await
        .map_err(js_text)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

pub async fn fetch_text(url: &str) -> Result<String, String> {
    let resp = fetch(url).await?;
    let text = JsFuture::from(resp.text().map_err(js_text)?)
        .await
        .map_err(js_text)?;
    text.as_string().ok_or_else(|| url.to_string())
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let resp = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {}", js_text(e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(js_text)?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// The bytes of a file the student chose or dropped.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer()).await.map_err(js_text)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Offers `bytes` as a download named `name`.
pub fn download(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Array::new();
    array.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).map_err(js_text)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_text)?;
    let result = click_link(&url, name);
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}

/// Offers a canvas as a PNG download.
pub fn download_canvas(canvas: &web_sys::HtmlCanvasElement, name: &str) -> Result<(), String> {
    let url = canvas.to_data_url_with_type("image/png").map_err(js_text)?;
    click_link(&url, name)
}

fn click_link(href: &str, name: &str) -> Result<(), String> {
    let doc = window().document().expect("a document");
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").map_err(js_text)?.unchecked_into();
    a.set_href(href);
    a.set_download(name);
    a.style().set_property("display", "none").map_err(js_text)?;
    doc.body()
        .expect("a body")
        .append_child(&a)
        .map_err(js_text)?;
    a.click();
    a.remove();
    Ok(())
}

/// Moves focus to the step's content and scrolls to the top, after a step
/// change (so a screen reader starts reading the new step).
pub fn focus_main() {
    if let Some(main) = window()
        .document()
        .and_then(|d| d.get_element_by_id("main"))
    {
        if let Ok(main) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(main) {
            let _ = main.focus();
        }
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// Marks the glossary button of term `id` open or closed: the button sits
/// just before its definition (`term-def-<id>`, one per page, since the
/// lesson marks a term once and shows one step at a time).
pub fn set_term_expanded(id: &str, open: bool) {
    if let Some(button) = window()
        .document()
        .and_then(|d| d.get_element_by_id(&format!("term-def-{id}")))
        .and_then(|def| def.previous_element_sibling())
    {
        let _ = button.set_attribute("aria-expanded", if open { "true" } else { "false" });
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The local time as "YYYY-MM-DD HH:MM:SS", for report headers.
pub fn local_timestamp() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

pub fn user_agent() -> String {
    window().navigator().user_agent().unwrap_or_default()
}

pub fn hardware_concurrency() -> Option<usize> {
    let n = window().navigator().hardware_concurrency();
    (n > 0.0).then_some(n as usize)
}

/// `navigator.deviceMemory` (GB, rounded by the browser; Chromium only).
pub fn device_memory_gb() -> Option<f64> {
    js_sys::Reflect::get(&window().navigator(), &"deviceMemory".into())
        .ok()?
        .as_f64()
}

pub fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&window(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

pub fn secure_context() -> bool {
    js_sys::Reflect::get(&window(), &"isSecureContext".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

pub fn location_hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// Replaces the URL's hash without adding a history entry.
pub fn replace_hash(hash: &str) {
    if location_hash() == hash {
        return;
    }
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

/// Sets the URL's hash with a history entry (a step change), so the
/// browser's back button walks back through the steps.
pub fn push_hash(hash: &str) {
    if location_hash() == hash {
        return;
    }
    if let Ok(history) = window().history() {
        let _ = history.push_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

pub fn confirm(message: &str) -> bool {
    window().confirm_with_message(message).unwrap_or(false)
}

/// A readable text for a JavaScript error value.
pub fn js_text(v: JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return format!("{}: {}", e.name(), e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

/// The page's address without its hash, for links to this page.
pub fn page_address() -> String {
    let href = window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}
