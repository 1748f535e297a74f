//! The CLI's one integration-test binary.

mod cli;
mod generated;
mod rules;
mod support;
