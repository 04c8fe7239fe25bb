//! What the student sees, one file per part of the page. Views read the
//! lab's state through `runtime::Lab` and send it events; they format, and
//! decide nothing. `frame` is the root and places the others; no view
//! imports `frame`, and `common` imports no view.

mod board;
mod common;
mod controls;
mod environment;
mod experiment;
mod frame;
mod guide;
mod model;
mod native;
mod questions;
mod results;
mod teacher;

pub use frame::mount;
