//! PiEdge Lab's own kernels for the operators tract is slowest at on the
//! lesson models, swapped into the typed graph through tract's public API
//! before tract plans the rest (see [`rewrite`]).
//!
//! - [`simd`]: the two inner loops, per instruction set;
//! - [`ops`]: the operators ([`ops::DepthwiseConv`], [`ops::MaxPool2d`]);
//! - [`conv`]: a direct convolution for small dense layers on large planes;
//! - [`pointwise`]: 1×1 convolutions on small planes, weights packed once;
//! - [`dense`]: a fully connected layer (a classifier's head) on a few rows;
//! - [`rewrite`]: finds the nodes they replace and patches them in;
//! - [`team`]: splits a layer's output channels across `--threads`;
//! - [`check`]: compares them with tract's own operators on random shapes.

pub mod check;
pub mod conv;
pub mod dense;
pub mod ops;
pub mod pointwise;
mod rewrite;
pub mod simd;
pub mod team;

pub use rewrite::{rewrite, Rewritten};
