//! The CLI's one integration-test binary.

mod cli;
mod generated;
mod hostile;
mod plugins;
mod rules;
mod sbom;
mod supply_chain;
mod support;
