//! The words that say why a page has a coarse timer, and what to do: in the
//! environment panel, next to a run's results and on the class board.

use super::Lang;
use crate::lab::browser::TimerContext;

impl Lang {
    /// Why the timer is coarse (with its step, when measured) and what to
    /// do about it; `None` when the page is isolated.
    pub fn timer_why(self, context: TimerContext, step_ms: Option<f64>) -> Option<String> {
        let step = step_ms.map(|s| self.timer_step(s));
        let here = |sv: bool| match (&step, sv) {
            (Some(s), true) => format!(" ({s} här)"),
            (Some(s), false) => format!(" ({s} here)"),
            (None, _) => String::new(),
        };
        let text = match (self, context) {
            (_, TimerContext::Isolated) => return None,
            (Lang::Sv, TimerContext::PlainHttp) => format!(
                "Sidan kom över vanlig HTTP från en annan dator, så webbläsaren räknar den inte som \
                 säker och ger den en grov timer{}. Be läraren om https://-adressen.",
                here(true)
            ),
            (Lang::En, TimerContext::PlainHttp) => format!(
                "This page came over plain HTTP from another machine, so the browser does not count \
                 it as secure and gives it a coarse timer{}. Ask the teacher for the https:// address.",
                here(false)
            ),
            (Lang::Sv, TimerContext::File) => format!(
                "Sidan öppnades som en fil, utan webbserver, så webbläsaren ger den en grov timer{}. \
                 Starta labbet med piedge serve i stället.",
                here(true)
            ),
            (Lang::En, TimerContext::File) => format!(
                "This page was opened as a file, without a web server, so the browser gives it a \
                 coarse timer{}. Start the lab with piedge serve instead.",
                here(false)
            ),
            (Lang::Sv, TimerContext::NoHeaders) => format!(
                "Servern skickade inte de svar som låter webbläsaren isolera sidan från andra \
                 webbplatser, så den får en grov timer{}. Ladda om sidan en gång (labbet lägger då \
                 till dem själv), eller använd piedge serve.",
                here(true)
            ),
            (Lang::En, TimerContext::NoHeaders) => format!(
                "The server did not send the headers that let the browser isolate this page from \
                 other sites, so it gets a coarse timer{}. Reload the page once (the lab then adds \
                 them itself), or use piedge serve.",
                here(false)
            ),
        };
        Some(text)
    }

    /// The board's short mark on a run timed with a coarse timer.
    pub fn board_coarse(self, context: Option<TimerContext>, step_ms: Option<f64>) -> String {
        let step = step_ms.map_or(String::new(), |s| format!(" {}", self.timer_step(s)));
        let why = match (self, context) {
            (Lang::Sv, Some(TimerContext::PlainHttp)) => " (vanlig HTTP)",
            (Lang::En, Some(TimerContext::PlainHttp)) => " (plain HTTP)",
            (Lang::Sv, Some(TimerContext::File)) => " (öppnad som fil)",
            (Lang::En, Some(TimerContext::File)) => " (opened as a file)",
            (Lang::Sv, Some(TimerContext::NoHeaders)) => " (ej isolerad)",
            (Lang::En, Some(TimerContext::NoHeaders)) => " (not isolated)",
            _ => "",
        };
        match self {
            Lang::Sv => format!("grov timer{step}{why}"),
            Lang::En => format!("coarse timer{step}{why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_coarse_timer_is_explained_with_its_step_in_both_languages() {
        use TimerContext::*;
        for lang in [Lang::Sv, Lang::En] {
            assert_eq!(lang.timer_why(Isolated, Some(0.005)), None);
            for c in [PlainHttp, File, NoHeaders] {
                let t = lang.timer_why(c, Some(0.1)).unwrap();
                assert!(
                    t.contains(if lang == Lang::Sv {
                        "100 µs här"
                    } else {
                        "100 µs here"
                    }),
                    "{t}"
                );
                assert!(!lang.timer_why(c, None).unwrap().contains("µs"));
            }
        }
        let t = Lang::En.timer_why(PlainHttp, Some(0.1)).unwrap();
        assert!(
            t.starts_with("This page came over plain HTTP from another machine"),
            "{t}"
        );
        assert!(
            t.ends_with("Ask the teacher for the https:// address."),
            "{t}"
        );
        assert_eq!(
            Lang::Sv.board_coarse(Some(PlainHttp), Some(1.0)),
            "grov timer 1000 µs (vanlig HTTP)"
        );
        assert_eq!(Lang::En.board_coarse(None, None), "coarse timer");
    }
}
