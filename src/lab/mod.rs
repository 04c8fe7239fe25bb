//! The browser lab's logic, without a browser: what a run is, what the URL
//! says, what the worker and the page tell each other, how runs are kept and
//! compared, how the lesson text is cut into steps, and which guides the
//! bundle carries. The Leptos components in `src/bin/lab` only call these
//! and render; everything here is tested natively.

pub mod browser;
pub mod chart_alt;
pub mod config;
pub mod glossary;
pub mod guide;
pub mod i18n;
pub mod isolation;
pub mod lesson;
pub mod protocol;
pub mod session;
pub mod state;
pub mod watchdog;
pub mod worksheet;

pub use config::{FieldError, LabConfig, UrlState};
pub use i18n::Lang;
