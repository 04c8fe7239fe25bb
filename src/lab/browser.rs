//! Naming the browser and operating system from a user-agent string, for
//! the environment panel and the reports of browser runs; and, in a wasm
//! build, the size of the instance's memory.

/// (browser with major version and engine, operating system) from
/// `navigator.userAgent`: "Firefox 153 (Gecko)", "Chrome 148 (Blink)",
/// "Safari 18 (WebKit)". What the string does not tell stays "unknown": a
/// WebKitGTK browser on Linux claims a Safari version that is no Safari's,
/// so it is "unknown browser (WebKit)".
pub fn describe_user_agent(ua: &str) -> (String, String) {
    let version = |key: &str| -> Option<String> {
        let at = ua.find(key)? + key.len();
        let v: String = ua[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (!v.is_empty()).then_some(v)
    };
    let apple = ua.contains("iPhone") || ua.contains("iPad") || ua.contains("Macintosh");
    let ios = ua.contains("iPhone") || ua.contains("iPad");
    let named = |name: &str, v: Option<String>, engine: &str| match v {
        Some(v) => format!("{name} {v} ({engine})"),
        None => format!("{name}, version unknown ({engine})"),
    };
    let browser = if ios && version("CriOS/").is_some() {
        // Every browser on iOS runs on WebKit, whatever its name.
        named("Chrome", version("CriOS/"), "WebKit")
    } else if ios && version("FxiOS/").is_some() {
        named("Firefox", version("FxiOS/"), "WebKit")
    } else if let Some(v) = version("Firefox/") {
        named("Firefox", Some(v), "Gecko")
    } else if let Some(v) = version("Edg/") {
        named("Edge", Some(v), "Blink")
    } else if let Some(v) = version("OPR/") {
        named("Opera", Some(v), "Blink")
    } else if let Some(v) = version("HeadlessChrome/") {
        named("Chrome", Some(v), "Blink, headless")
    } else if let Some(v) = version("Chrome/") {
        named("Chrome", Some(v), "Blink")
    } else if let Some(v) = version("Epiphany/") {
        named("GNOME Web", Some(v), "WebKit")
    } else if ua.contains("AppleWebKit/") && apple {
        named("Safari", version("Version/"), "WebKit")
    } else if ua.contains("AppleWebKit/") {
        "unknown browser (WebKit)".into()
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

/// Whether the browser's core count is not the device's: WebKit (Safari,
/// and every browser on iOS) reports 4 or 8 whatever the hardware, so that
/// the number cannot help tell devices apart.
pub fn core_count_is_rounded(ua: &str) -> bool {
    describe_user_agent(ua).0.ends_with("(WebKit)")
}

/// This wasm instance's memory in MB. It only grows, so it is the
/// high-water mark (the memory soak test reads it from page and worker).
/// Why a page has the timer it has. A browser gives the fine timer (5–20 µs)
/// only to a cross-origin isolated page, and honours the isolation headers
/// only in a secure context: over HTTPS, or over plain HTTP from the device
/// itself (`127.0.0.1`, `localhost`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerContext {
    /// Isolated: the fine timer.
    Isolated,
    /// Over plain HTTP from another machine: not a secure context, so the
    /// isolation headers are ignored.
    PlainHttp,
    /// Opened as a file, with no server to send headers.
    File,
    /// A secure page whose server sent no isolation headers (a static host
    /// before the lab's service worker took over).
    NoHeaders,
}

impl TimerContext {
    /// From `crossOriginIsolated`, `isSecureContext` and `location.protocol`.
    pub fn of(isolated: bool, secure: bool, protocol: &str) -> TimerContext {
        match (isolated, secure, protocol) {
            (true, _, _) => TimerContext::Isolated,
            (false, _, "file:") => TimerContext::File,
            (false, false, _) => TimerContext::PlainHttp,
            (false, true, _) => TimerContext::NoHeaders,
        }
    }

    /// Its name in a run's report (`system_info.extra.timer_context`).
    pub fn key(self) -> &'static str {
        match self {
            TimerContext::Isolated => "isolated",
            TimerContext::PlainHttp => "plain_http_from_another_machine",
            TimerContext::File => "opened_as_a_file",
            TimerContext::NoHeaders => "no_isolation_headers",
        }
    }

    pub fn from_key(key: &str) -> Option<TimerContext> {
        [
            TimerContext::Isolated,
            TimerContext::PlainHttp,
            TimerContext::File,
            TimerContext::NoHeaders,
        ]
        .into_iter()
        .find(|c| c.key() == key)
    }
}

#[cfg(target_arch = "wasm32")]
pub fn wasm_memory_mb() -> f64 {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    buffer.byte_length() as f64 / 1e6
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_timer_context_follows_isolation_then_the_address() {
        use TimerContext::*;
        let cases = [
            (true, true, "https:", Isolated),
            (true, true, "http:", Isolated),
            (false, false, "http:", PlainHttp),
            (false, true, "https:", NoHeaders),
            (false, true, "http:", NoHeaders),
            (false, false, "file:", File),
            (false, true, "file:", File),
        ];
        for (isolated, secure, protocol, want) in cases {
            assert_eq!(
                TimerContext::of(isolated, secure, protocol),
                want,
                "{isolated} {secure} {protocol}"
            );
            assert_eq!(TimerContext::from_key(want.key()), Some(want));
        }
        assert_eq!(TimerContext::from_key("nonsense"), None);
    }

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
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36", "Chrome 148 (Blink)", "Linux");
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/148.0.0.0 Safari/537.36", "Chrome 148 (Blink, headless)", "Linux");
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
            "Firefox 140 (Gecko)",
            "Windows",
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
            "Firefox 140 (Gecko)",
            "Linux",
        );
        check("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15", "Safari 18 (WebKit)", "macOS");
        check("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", "Edge 140 (Blink)", "Windows");
        check("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17 (WebKit)", "iOS");
        check("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome 131 (WebKit)", "iOS");
        check("", "unknown browser", "unknown OS");
    }

    #[test]
    fn a_webkitgtk_browser_is_not_called_safari() {
        // Debian's MiniBrowser (WebKitGTK 2.50) claims "Version/60.5": no
        // Safari has that number, and none runs on Linux.
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15", "unknown browser (WebKit)", "Linux");
        check("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 Epiphany/46", "GNOME Web 46 (WebKit)", "Linux");
        check("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)", "Safari, version unknown (WebKit)", "macOS");
    }

    #[test]
    fn only_webkit_rounds_its_core_count() {
        let webkit = [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15",
            "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
        ];
        for ua in webkit {
            assert!(core_count_is_rounded(ua), "{ua}");
        }
        let others = [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36",
            "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
            "",
        ];
        for ua in others {
            assert!(!core_count_is_rounded(ua), "{ua}");
        }
    }
}
