//! The CLI's one integration-test binary.

mod attest;
mod attest_oci;
mod cli;
mod generated;
mod hostile;
mod plugins;
mod render;
mod rules;
mod sbom;
mod sbom_image;
mod scan;
mod sigstore_standin;
mod supply_chain;
mod support;
