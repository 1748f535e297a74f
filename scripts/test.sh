#!/usr/bin/env bash
# The test command: install the external test tools, then build and test every workspace member
# with those tools on PATH (tests/plugins.rs runs them).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-test-tools.sh"
export PATH="$root/.tools/bin:$PATH"

cargo build --workspace --locked
cargo test --workspace --locked
