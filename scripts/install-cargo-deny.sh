#!/usr/bin/env bash
# Install cargo-deny (pinned) into .tools/bin for tests/supply_chain.rs.
# Builds from crates.io source: about 3 minutes on our 2-core machines; a no-op when installed.
#
# Usage: scripts/install-cargo-deny.sh   (TOOLS_DIR overrides the target, default <repo>/.tools)
set -euo pipefail

version="0.20.2"
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"

if "$tools/bin/cargo-deny" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
  exit 0
fi
cargo install cargo-deny --version "$version" --locked --root "$tools"
