#!/usr/bin/env bash
# Install chainproof for actions/setup (actions/lint runs this same script).
#
# Environment (set by action.yml through env:, never templated into the script):
#   SETUP_VERSION  release to download; empty builds from the source next to this action
#   SETUP_PROFILE  cargo profile when building: release (default) or dev
#   CARGO_TARGET_DIR (optional) honoured when building, so a warm target directory is reused
# Writes `path=<binary>` to GITHUB_OUTPUT and the binary's directory to GITHUB_PATH when they are set.
set -euo pipefail

# The action's real directory: `cd -P` resolves symbolic links, so a checkout reached through a link
# still finds its own source.
here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_root="$(cd -P "$here/../.." && pwd)"
release_base="https://github.com/chainproof/chainproof/releases/download"

fail() {
  echo "::error title=chainproof setup::$*"
  exit 1
}

# Sets `plat`, the Rust target triple of the release built for this runner; unknown platforms fail
# closed. (No command substitution: `fail` must end the script, not a subshell.)
platform() {
  local os arch
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$os/$arch" in
    Linux/x86_64 | Linux/amd64) plat=x86_64-unknown-linux-musl ;;
    Linux/aarch64 | Linux/arm64) plat=aarch64-unknown-linux-musl ;;
    Darwin/x86_64) plat=x86_64-apple-darwin ;;
    Darwin/arm64 | Darwin/aarch64) plat=aarch64-apple-darwin ;;
    MINGW*/x86_64 | MSYS*/x86_64 | CYGWIN*/x86_64) plat=x86_64-pc-windows-msvc ;;
    *) fail "no chainproof release is built for $os/$arch" ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

exe_suffix() {
  case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) echo .exe ;; *) echo "" ;; esac
}

is_source_checkout() {
  [[ -f "$source_root/Cargo.toml" && -f "$source_root/Cargo.lock" ]] &&
    grep -q '^name = "chainproof"$' "$source_root/Cargo.toml"
}

build_from_source() {
  local profile="${SETUP_PROFILE:-release}" dir args=()
  case "$profile" in
    release) dir=release args=(--release) ;;
    dev | debug) dir=debug ;;
    *) fail "profile must be release or dev, not '$profile'" ;;
  esac
  command -v cargo >/dev/null ||
    fail "building chainproof from source needs cargo (a Rust toolchain) on PATH; or set the version input to download a release"
  local target="${CARGO_TARGET_DIR:-$source_root/target}"
  [[ "$target" == /* ]] || target="$PWD/$target"
  echo "Building chainproof from $source_root (profile $profile, target directory $target)" >&2
  CARGO_TARGET_DIR="$target" cargo build --locked "${args[@]}" \
    --manifest-path "$source_root/Cargo.toml" --package chainproof --bin chainproof >&2
  bin="$target/$dir/chainproof$(exe_suffix)"
}

download_release() {
  local version="$SETUP_VERSION" plat="" expected url dest archive got
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
    fail "version must be an exact release such as 1.2.3 (no 'v', no 'latest'), not '$version'"
  platform
  expected="$(awk -v v="$version" -v p="$plat" '$1 == v && $2 == p { print $3 }' "$here/checksums.txt")"
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] ||
    fail "no SHA-256 for chainproof $version on $plat in actions/setup/checksums.txt: refusing to download an unverified binary (use an action commit that lists this version)"
  url="$release_base/v$version/chainproof-$version-$plat.tar.gz"
  dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/chainproof-$version-$plat"
  archive="$dest.tar.gz"
  echo "Downloading $url" >&2
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 3 \
    --output "$archive" "$url"
  got="$(sha256_of "$archive")"
  if [[ "$got" != "$expected" ]]; then
    rm -f "$archive"
    fail "SHA-256 mismatch for $url: got $got, expected $expected"
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -xzf "$archive" -C "$dest"
  rm -f "$archive"
  bin="$dest/chainproof$(exe_suffix)"
}

bin=""
if [[ -n "${SETUP_VERSION:-}" ]]; then
  download_release
elif is_source_checkout; then
  build_from_source
else
  fail "this copy of the action has no chainproof source at $source_root: set the version input to download a release"
fi
[[ -x "$bin" ]] || fail "no chainproof binary at $bin"

# A directory of its own for PATH (a cargo target directory holds other executables), and a copy
# that later builds in the same job cannot replace.
bindir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/chainproof-bin"
mkdir -p "$bindir"
installed="$bindir/$(basename "$bin")"
cp -f "$bin" "$installed"
"$installed" --version >&2

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  echo "path=$installed" >>"$GITHUB_OUTPUT"
fi
if [[ -n "${GITHUB_PATH:-}" ]]; then
  echo "$bindir" >>"$GITHUB_PATH"
fi
