//! The class board's words: sharing, the board's headings, filters,
//! summary lines and the teacher's controls.

use super::Lang;

impl Lang {
    pub fn nickname_first(self) -> &'static str {
        match self {
            Lang::Sv => "Skriv ett smeknamn först; det är det klassen ser på tavlan.",
            Lang::En => "Write a nickname first; it is what the class sees on the board.",
        }
    }

    pub fn shared_note(self) -> &'static str {
        match self {
            Lang::Sv => "Mätningen finns nu på klasstavlan.",
            Lang::En => "The measurement is now on the class board.",
        }
    }

    /// Fixed words of the board and the share controls, by key.
    pub fn board_word(self, key: &str) -> &'static str {
        let sv = self == Lang::Sv;
        match key {
            "title" => {
                if sv {
                    "Klasstavlan"
                } else {
                    "The class board"
                }
            }
            "axis" => {
                if sv {
                    "Latens (ms), från P50 till P95"
                } else {
                    "Latency (ms), from P50 to P95"
                }
            }
            "share" => {
                if sv {
                    "Dela på klasstavlan"
                } else {
                    "Share on the class board"
                }
            }
            "shared" => {
                if sv {
                    "delad ✓"
                } else {
                    "shared ✓"
                }
            }
            "nickname" => {
                if sv {
                    "Smeknamn på klasstavlan"
                } else {
                    "Nickname on the class board"
                }
            }
            "label" => {
                if sv {
                    "Din enhet (valfritt, t.ex. ”min mobil”)"
                } else {
                    "Your device (optional, e.g. “my phone”)"
                }
            }
            "open_board" => {
                if sv {
                    "Öppna klasstavlan"
                } else {
                    "Open the class board"
                }
            }
            "back" => {
                if sv {
                    "Tillbaka till lektionen"
                } else {
                    "Back to the lesson"
                }
            }
            "model" => {
                if sv {
                    "Modell"
                } else {
                    "Model"
                }
            }
            "settings" => {
                if sv {
                    "Inställningar"
                } else {
                    "Settings"
                }
            }
            "all" => {
                if sv {
                    "alla"
                } else {
                    "all"
                }
            }
            "sort" => {
                if sv {
                    "Sortera efter"
                } else {
                    "Sort by"
                }
            }
            "nick" => {
                if sv {
                    "Smeknamn"
                } else {
                    "Nickname"
                }
            }
            "device" => {
                if sv {
                    "Enhet"
                } else {
                    "Device"
                }
            }
            "kind" => {
                if sv {
                    "Sort"
                } else {
                    "Kind"
                }
            }
            "warmup" => {
                if sv {
                    "Uppvärmning"
                } else {
                    "Warmup"
                }
            }
            "runs" => {
                if sv {
                    "Körningar"
                } else {
                    "Runs"
                }
            }
            "empty" => {
                if sv {
                    "Inga delade mätningar än. Dela en mätning från steg 6."
                } else {
                    "No shared measurements yet. Share a measurement from step 6."
                }
            }
            "mixed" => {
                if sv {
                    "Obs: mätningar med olika modeller eller inställningar visas tillsammans; välj en modell och en inställning för att jämföra lika med lika."
                } else {
                    "Note: measurements with different models or settings are shown together; choose one model and one setting to compare like with like."
                }
            }
            "unreachable" => {
                if sv {
                    "Tavlan kunde inte hämtas från servern"
                } else {
                    "The board could not be fetched from the server"
                }
            }
            "teacher" => {
                if sv {
                    "Lärarens kontroller"
                } else {
                    "Teacher's controls"
                }
            }
            "new_session" => {
                if sv {
                    "Ny klassomgång"
                } else {
                    "New class session"
                }
            }
            "session_name" => {
                if sv {
                    "Namn på omgången"
                } else {
                    "Session name"
                }
            }
            "lock" => {
                if sv {
                    "Stäng delningen"
                } else {
                    "Close sharing"
                }
            }
            "unlock" => {
                if sv {
                    "Öppna delningen"
                } else {
                    "Open sharing"
                }
            }
            "release" => {
                if sv {
                    "Lås upp svaren"
                } else {
                    "Unlock the answers"
                }
            }
            "unrelease" => {
                if sv {
                    "Lås svaren igen"
                } else {
                    "Lock the answers again"
                }
            }
            "hide" => {
                if sv {
                    "Dölj"
                } else {
                    "Hide"
                }
            }
            "show" => {
                if sv {
                    "Visa"
                } else {
                    "Show"
                }
            }
            "remove" => {
                if sv {
                    "Ta bort"
                } else {
                    "Remove"
                }
            }
            "hidden" => {
                if sv {
                    "dold"
                } else {
                    "hidden"
                }
            }
            "export_csv" => {
                if sv {
                    "Ladda ner klassen (CSV)"
                } else {
                    "Download the class (CSV)"
                }
            }
            "export_json" => {
                if sv {
                    "Ladda ner klassen (JSON)"
                } else {
                    "Download the class (JSON)"
                }
            }
            "export_png" => {
                if sv {
                    "Tavlan som bild (PNG)"
                } else {
                    "The board as an image (PNG)"
                }
            }
            "locked_note" => {
                if sv {
                    "Delningen är stängd av läraren."
                } else {
                    "Sharing is closed by the teacher."
                }
            }
            "released_note" => {
                if sv {
                    "Läraren har låst upp svaren på reflektionsfrågorna."
                } else {
                    "The teacher has unlocked the answers to the reflection questions."
                }
            }
            "discuss" => {
                if sv {
                    "Diskutera: vem klarar 10 ms, vem klarar 100 ms, och varför skiljer sig webbläsaren från Pi:n? (WebAssembly mot maskinkod, processorn, timern.)"
                } else {
                    "Discuss: who meets 10 ms, who meets 100 ms, and why does the browser differ from the Pi? (WebAssembly against machine code, the processor, the timer.)"
                }
            }
            // Where a run on the board came from.
            "server_run" => {
                if sv {
                    "mätt av servern"
                } else {
                    "measured by this server"
                }
            }
            "claimed" => {
                if sv {
                    "som elevens enhet uppgav"
                } else {
                    "as the student's device reported"
                }
            }
            _ => "",
        }
    }

    /// One of the board's settings to filter by: a warmup and a count of runs.
    pub fn board_settings(self, warmup: usize, runs: usize) -> String {
        match self {
            Lang::Sv => format!("uppvärmning {warmup}, {runs} körningar"),
            Lang::En => format!("warmup {warmup}, {runs} runs"),
        }
    }

    /// "8 cores".
    pub fn cores(self, n: usize) -> String {
        match self {
            Lang::Sv => format!("{n} processorkärnor"),
            Lang::En => format!("{n} cores"),
        }
    }

    /// "Session: 2B · 12 runs from 4 kinds of device".
    pub fn board_summary(self, session: &str, runs: usize, kinds: usize) -> String {
        match self {
            Lang::Sv => {
                format!("Omgång: {session} · {runs} mätningar från {kinds} sorters enheter")
            }
            Lang::En => {
                format!("Session: {session} · {runs} measurements from {kinds} kinds of device")
            }
        }
    }

    /// Who stands out, and who meets the targets.
    pub fn board_standouts(
        self,
        fastest: Option<(&str, f64)>,
        widest: Option<(&str, f64)>,
        under: [(f64, usize); 2],
        n: usize,
    ) -> String {
        let num = |x: f64| self.decimal(crate::report::ms(x));
        let mut parts = vec![];
        if let Some((who, p50)) = fastest {
            parts.push(match self {
                Lang::Sv => format!("Snabbast: {who} ({} ms)", num(p50)),
                Lang::En => format!("Fastest: {who} ({} ms)", num(p50)),
            });
        }
        if let Some((who, spread)) = widest {
            parts.push(match self {
                Lang::Sv => format!("störst spridning: {who} (P95 − P50 = {} ms)", num(spread)),
                Lang::En => format!("widest spread: {who} (P95 − P50 = {} ms)", num(spread)),
            });
        }
        for (target, k) in under {
            parts.push(match self {
                Lang::Sv => format!("P95 under {target} ms: {k} av {n}"),
                Lang::En => format!("P95 under {target} ms: {k} of {n}"),
            });
        }
        parts.join(" · ")
    }
}
