//! Naming the browser and operating system from a user-agent string, for
//! the environment panel and the reports of browser runs; and, in a wasm
//! build, the size of the instance's memory.

/// (browser with major version, operating system) from `navigator.userAgent`.
pub fn describe_user_agent(ua: &str) -> (String, String) {
    let version = |key: &str| -> Option<String> {
        let at = ua.find(key)? + key.len();
        let v: String = ua[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (!v.is_empty()).then_some(v)
    };
    let browser = if let Some(v) = version("Firefox/") {
        format!("Firefox {v}")
    } else if let Some(v) = version("Edg/") {
        format!("Edge {v}")
    } else if let Some(v) = version("OPR/") {
        format!("Opera {v}")
    } else if let Some(v) = version("Chrome/") {
        let headless = if ua.contains("HeadlessChrome") {
            " (headless)"
        } else {
            ""
        };
        format!("Chrome {v}{headless}")
    } else if let Some(v) = version("HeadlessChrome/") {
        format!("Chrome {v} (headless)")
    } else if ua.contains("Safari/") {
        match version("Version/") {
            Some(v) => format!("Safari {v}"),
            None => "Safari".into(),
        }
    } else {
        "unknown browser".into()
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "unknown OS"
    };
    (browser, os.to_string())
}

/// This wasm instance's memory in MB. It only grows, so it is the
/// high-water mark (the memory soak test reads it from page and worker).
#[cfg(target_arch = "wasm32")]
pub fn wasm_memory_mb() -> f64 {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    buffer.byte_length() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ua: &str, browser: &str, os: &str) {
        assert_eq!(
            describe_user_agent(ua),
            (browser.to_string(), os.to_string()),
            "{ua}"
        );
    }

    #[test]
    fn common_browsers() {
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36", "Chrome 148", "Linux");
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/148.0.0.0 Safari/537.36", "Chrome 148 (headless)", "Linux");
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
            "Firefox 140",
            "Windows",
        );
        check("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15", "Safari 18", "macOS");
        check("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", "Edge 140", "Windows");
        check("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17", "iOS");
        check("", "unknown browser", "unknown OS");
    }
}
