//! Integration tests: the real Terraform CLI (1.0.3, `scripts/install-test-tools.sh`) drives the built
//! provider through `dev_overrides` against the local forge and the in-process fake GitHub and GitLab.

mod cycle;
mod docs;
mod example;
mod review;
mod support;
