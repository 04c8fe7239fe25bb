//! A benchmark's settings as the lab offers them, their limits, and the URL
//! that carries them, so a teacher can hand out a link that opens the lab
//! ready to run.

use super::i18n::Lang;
use crate::plan::Plan;

/// Limits of the lab's inputs (see `crate::limits`).
pub use crate::limits::{
    LAB_MAX_RUNS as MAX_RUNS, LAB_MAX_WARMUP as MAX_WARMUP, LAB_WARN_RUNS as WARN_RUNS,
};
/// The lesson's starting values.
pub const DEFAULT_WARMUP: usize = 3;
pub const DEFAULT_RUNS: usize = 10;
/// The bundled models, in the order the lab lists them; the first is the default.
pub const BUNDLED_MODELS: [&str; 2] = ["mobilenetv2", "tinycnn"];
/// The most steps a lesson may have that a link can name: the lesson's own
/// count (its `# ` headings) bounds the step once it has loaded.
pub const MAX_STEPS: usize = 99;

/// Reads an input shape as a student or the CLI writes it: sizes of at
/// least 1 separated by commas or `x` ("1,3,224,224", "1x3x32x32"). Empty
/// means none. The message says what is wrong, in English (the CLI's
/// language; the page adds the field's name in the student's language).
pub fn parse_input_shape(text: &str) -> Result<Option<Vec<usize>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let mut sizes = Vec::new();
    for part in text.split([',', 'x', 'X']) {
        match part.trim().parse::<u64>() {
            Ok(0) => return Err(format!("'{text}': every size must be at least 1")),
            Ok(n) if n <= 1 << 24 => sizes.push(n as usize),
            Ok(n) => return Err(format!("'{text}': {n} is larger than any input dimension")),
            Err(_) => return Err(format!("'{text}' is not a shape like 1,3,224,224")),
        }
    }
    if sizes.len() > 8 {
        return Err(format!("'{text}': a shape has at most 8 dimensions"));
    }
    Ok(Some(sizes))
}

/// What the student has typed; numbers stay text until they are valid, so
/// a half-typed value can be shown back with an explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct LabConfig {
    pub warmup: String,
    pub runs: String,
    pub seed: String,
    pub plan: Plan,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            warmup: DEFAULT_WARMUP.to_string(),
            runs: DEFAULT_RUNS.to_string(),
            seed: "0".into(),
            plan: Plan::Optimized,
        }
    }
}

/// Why a field cannot start a run. The user interface words it per language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    NotANumber { field: Field, text: String },
    TooSmall { field: Field, min: usize },
    TooLarge { field: Field, max: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Warmup,
    Runs,
    Seed,
}

/// Valid settings, ready to send to the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidConfig {
    pub warmup: usize,
    pub runs: usize,
    pub seed: u64,
    pub plan: Plan,
}

impl LabConfig {
    pub fn validate(&self) -> Result<ValidConfig, Vec<FieldError>> {
        let mut errors = Vec::new();
        let warmup = count(&self.warmup, Field::Warmup, 0, MAX_WARMUP, &mut errors);
        let runs = count(&self.runs, Field::Runs, 1, MAX_RUNS, &mut errors);
        let seed = match self.seed.trim().parse::<u64>() {
            Ok(s) => Some(s),
            Err(_) => {
                errors.push(FieldError::NotANumber {
                    field: Field::Seed,
                    text: self.seed.clone(),
                });
                None
            }
        };
        match (warmup, runs, seed) {
            (Some(warmup), Some(runs), Some(seed)) if errors.is_empty() => Ok(ValidConfig {
                warmup,
                runs,
                seed,
                plan: self.plan,
            }),
            _ => Err(errors),
        }
    }

    /// Runs above [`WARN_RUNS`] (and valid): the lab warns before starting.
    pub fn many_runs(&self) -> Option<usize> {
        self.validate()
            .ok()
            .map(|c| c.runs)
            .filter(|&r| r > WARN_RUNS)
    }

    /// The errors that concern one field, for showing next to it.
    pub fn field_errors(&self, field: Field) -> Vec<FieldError> {
        match self.validate() {
            Ok(_) => vec![],
            Err(all) => all.into_iter().filter(|e| e.field() == field).collect(),
        }
    }
}

impl FieldError {
    pub fn field(&self) -> Field {
        match self {
            FieldError::NotANumber { field, .. }
            | FieldError::TooSmall { field, .. }
            | FieldError::TooLarge { field, .. } => *field,
        }
    }
}

fn count(
    text: &str,
    field: Field,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<usize> {
    let t = text.trim();
    match t.parse::<i64>() {
        Ok(n) if n < min as i64 => errors.push(FieldError::TooSmall { field, min }),
        Ok(n) if n > max as i64 => errors.push(FieldError::TooLarge { field, max }),
        Ok(n) => return Some(n as usize),
        // A number too long for i64 is still a number, and too large.
        Err(_) if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => {
            errors.push(FieldError::TooLarge { field, max })
        }
        Err(_) => errors.push(FieldError::NotANumber {
            field,
            text: text.to_string(),
        }),
    }
    None
}

/// Everything the URL carries: `#step=3&lang=sv&model=mobilenetv2&warmup=3&runs=10&seed=0&plan=optimized`.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    /// 1-based lesson step.
    pub step: usize,
    pub lang: Lang,
    /// A bundled model's name.
    pub model: String,
    pub config: LabConfig,
    /// The class board instead of the lesson (`board=1`).
    pub board: bool,
    /// The teacher code, for the board's teacher controls ("" for none).
    /// Any code also opens teacher mode in the lesson: the teacher's notes,
    /// the time plan and the class link.
    pub teacher: String,
    /// The class's lock on the answers (`class=`, from the teacher's class
    /// link): the code of the release word, "" for no lock.
    pub class: String,
    /// The class link fixes the settings to the teacher's (`fixed=1`).
    pub fixed: bool,
    /// A guide from the bundle instead of the lesson (`guide=teacher`; ""
    /// for none). Only a name `lab::guide` knows is kept.
    pub guide: String,
}

impl Default for UrlState {
    fn default() -> Self {
        UrlState {
            step: 1,
            lang: Lang::Sv,
            model: BUNDLED_MODELS[0].into(),
            config: LabConfig::default(),
            board: false,
            teacher: String::new(),
            class: String::new(),
            fixed: false,
            guide: String::new(),
        }
    }
}

impl UrlState {
    /// Reads a location hash (with or without `#`). Unknown keys are ignored
    /// and unusable values fall back to the defaults, except warmup, runs and
    /// seed, which are kept as written so the lab can explain what is wrong.
    pub fn parse(hash: &str) -> UrlState {
        let mut state = UrlState::default();
        let query = hash
            .trim_start_matches('#')
            .trim_start_matches('/')
            .trim_start_matches('?');
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "step" => {
                    if let Ok(n) = value.parse::<usize>() {
                        state.step = n.clamp(1, MAX_STEPS);
                    }
                }
                "lang" => state.lang = Lang::from_code(&value).unwrap_or(state.lang),
                "model" if BUNDLED_MODELS.contains(&value.as_str()) => state.model = value,
                "warmup" => state.config.warmup = truncate(value),
                "runs" => state.config.runs = truncate(value),
                "seed" => state.config.seed = truncate(value),
                "plan" => state.config.plan = Plan::from_name(&value).unwrap_or_default(),
                "board" => state.board = value == "1",
                "teacher" => {
                    state.teacher = value
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(MAX_FIELD_CHARS)
                        .collect()
                }
                "class" => {
                    state.class = value
                        .chars()
                        .filter(char::is_ascii_hexdigit)
                        .take(MAX_FIELD_CHARS)
                        .collect::<String>()
                        .to_ascii_lowercase()
                }
                "fixed" => state.fixed = value == "1",
                "guide" => {
                    state.guide = crate::lab::guide::find(&value)
                        .map_or_else(String::new, |g| g.name.to_string())
                }
                _ => {}
            }
        }
        state
    }

    /// The hash for this state, starting with `#`.
    pub fn to_hash(&self) -> String {
        let mut hash = format!(
            "#step={}&lang={}&model={}&warmup={}&runs={}&seed={}&plan={}",
            self.step,
            self.lang.code(),
            percent_encode(&self.model),
            percent_encode(self.config.warmup.trim()),
            percent_encode(self.config.runs.trim()),
            percent_encode(self.config.seed.trim()),
            self.config.plan.name()
        );
        if self.board {
            hash.push_str("&board=1");
        }
        if !self.teacher.is_empty() {
            hash.push_str(&format!("&teacher={}", self.teacher));
        }
        if !self.class.is_empty() {
            hash.push_str(&format!("&class={}", self.class));
        }
        if self.fixed {
            hash.push_str("&fixed=1");
        }
        if !self.guide.is_empty() {
            hash.push_str(&format!("&guide={}", self.guide));
        }
        hash
    }
}

/// A URL field longer than this is cut: no number the lab accepts is longer,
/// and an input box should not receive a megabyte from a link.
const MAX_FIELD_CHARS: usize = 32;

fn truncate(s: String) -> String {
    s.chars().take(MAX_FIELD_CHARS).collect()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_shapes_parse_or_say_why_not() {
        let ok = |t: &str| parse_input_shape(t).unwrap();
        assert_eq!(ok(""), None);
        assert_eq!(ok(" 1,3,224,224 "), Some(vec![1, 3, 224, 224]));
        assert_eq!(ok("1x3x32x32"), Some(vec![1, 3, 32, 32]));
        assert_eq!(ok("1, 3, 8"), Some(vec![1, 3, 8]));
        let err = |t: &str| parse_input_shape(t).unwrap_err();
        assert!(err("1,0,3").contains("at least 1"));
        assert!(err("1,,3").contains("not a shape"));
        assert!(err("-1,3").contains("not a shape"));
        assert!(err("1,99999999999").contains("larger than"));
        assert!(err("1,1,1,1,1,1,1,1,1").contains("at most 8"));
    }

    fn cfg(warmup: &str, runs: &str, seed: &str) -> LabConfig {
        LabConfig {
            warmup: warmup.into(),
            runs: runs.into(),
            seed: seed.into(),
            plan: Plan::Optimized,
        }
    }

    #[test]
    fn valid_settings() {
        assert_eq!(
            cfg("3", "10", "0").validate(),
            Ok(ValidConfig {
                warmup: 3,
                runs: 10,
                seed: 0,
                plan: Plan::Optimized
            })
        );
        assert!(cfg("0", "1", "5").validate().is_ok());
        assert!(cfg("10000", "100000", "18446744073709551615")
            .validate()
            .is_ok());
        assert!(cfg(" 3 ", "10", "0").validate().is_ok());
    }

    #[test]
    fn many_runs_warn_and_too_many_are_refused() {
        assert_eq!(cfg("0", "100000", "0").many_runs(), None);
        assert_eq!(cfg("0", "100001", "0").many_runs(), Some(100_001));
        assert_eq!(cfg("0", "1000000", "0").many_runs(), Some(1_000_000));
        assert_eq!(
            cfg("0", "1000001", "0").validate().unwrap_err(),
            vec![FieldError::TooLarge {
                field: Field::Runs,
                max: MAX_RUNS
            }]
        );
        assert_eq!(cfg("0", "1000001", "0").many_runs(), None);
    }

    #[test]
    fn invalid_settings_are_explained_per_field() {
        let e = cfg("-1", "0", "x").validate().unwrap_err();
        assert_eq!(
            e,
            vec![
                FieldError::TooSmall {
                    field: Field::Warmup,
                    min: 0
                },
                FieldError::TooSmall {
                    field: Field::Runs,
                    min: 1
                },
                FieldError::NotANumber {
                    field: Field::Seed,
                    text: "x".into()
                },
            ]
        );
        assert_eq!(
            cfg("10001", "3", "0").field_errors(Field::Warmup),
            vec![FieldError::TooLarge {
                field: Field::Warmup,
                max: MAX_WARMUP
            }]
        );
        assert_eq!(
            cfg("1", "99999999999999999999999", "0").field_errors(Field::Runs),
            vec![FieldError::TooLarge {
                field: Field::Runs,
                max: MAX_RUNS
            }]
        );
        assert_eq!(
            cfg("1", "", "0").field_errors(Field::Runs),
            vec![FieldError::NotANumber {
                field: Field::Runs,
                text: "".into()
            }]
        );
        assert_eq!(cfg("1.5", "3", "0").field_errors(Field::Warmup).len(), 1);
        assert!(cfg("3", "10", "0").field_errors(Field::Runs).is_empty());
    }

    #[test]
    fn url_round_trip() {
        let s = UrlState {
            step: 4,
            lang: Lang::En,
            model: "tinycnn".into(),
            config: LabConfig {
                warmup: "0".into(),
                runs: "50".into(),
                seed: "7".into(),
                plan: Plan::Unoptimized,
            },
            board: false,
            teacher: String::new(),
            class: String::new(),
            fixed: false,
            guide: String::new(),
        };
        assert_eq!(
            s.to_hash(),
            "#step=4&lang=en&model=tinycnn&warmup=0&runs=50&seed=7&plan=unoptimized"
        );
        let board = UrlState::parse("#board=1&teacher=AB%2012<x>");
        assert_eq!((board.board, board.teacher.as_str()), (true, "AB12x"));
        let class = UrlState::parse("#class=9F3a<b>c0z&fixed=1");
        assert_eq!((class.class.as_str(), class.fixed), ("9f3abc0", true));
        assert_eq!(UrlState::parse(&class.to_hash()), class);
        assert_eq!(UrlState::parse(&board.to_hash()), board);
        assert_eq!(UrlState::parse(&s.to_hash()), s);
        let guide = UrlState::parse("#teacher=t1&guide=teacher");
        assert_eq!(guide.guide, "teacher");
        assert_eq!(UrlState::parse(&guide.to_hash()), guide);
        assert_eq!(
            UrlState::parse("#guide=../../README").guide,
            "",
            "only a bundled guide"
        );
    }

    #[test]
    fn url_parsing_is_lenient() {
        assert_eq!(UrlState::parse(""), UrlState::default());
        assert_eq!(UrlState::parse("#"), UrlState::default());
        let s = UrlState::parse("#step=999&lang=xx&model=../../etc&plan=fast&bogus&runs=abc");
        assert_eq!(s.step, MAX_STEPS);
        assert_eq!(s.lang, Lang::Sv);
        assert_eq!(s.model, "mobilenetv2");
        assert_eq!(s.config.plan, Plan::Optimized);
        assert_eq!(
            s.config.runs, "abc",
            "kept, so the lab can say why it cannot run"
        );
        assert_eq!(UrlState::parse("#step=0").step, 1);
        assert_eq!(UrlState::parse("#warmup=%2D1").config.warmup, "-1");
        assert_eq!(UrlState::parse("#runs=%").config.runs, "%");
        assert_eq!(UrlState::parse("#runs=%4").config.runs, "%4");
        assert_eq!(
            UrlState::parse(&format!("#runs={}", "9".repeat(1000)))
                .config
                .runs
                .len(),
            MAX_FIELD_CHARS
        );
    }

    #[test]
    fn percent_encoding_round_trips_any_text() {
        for s in ["a b", "100%", "å/ä?ö&=#", "", "%%%"] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
    }
}
