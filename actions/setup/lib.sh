#!/usr/bin/env bash
# Functions shared by the scripts of actions/sbom, scan, sign and verify, which source this file as
# `$GITHUB_ACTION_PATH/../setup/lib.sh`: GitHub fetches the whole repository for an action, so
# actions/setup is always next to them (their install step runs ../setup/install.sh the same way).
# Sourced, never run. The sourcing script sets `title` (its annotations' title) first.

title="${title:-chainproof}"

# A step output, when the runner asks for them.
output() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}

fail() {
  echo "::error title=$title::$*"
  exit 1
}

# A workflow command's message: `%`, CR and LF escaped, so file names cannot start another command.
escape_data() {
  local s="${1//'%'/%25}"
  s="${s//$'\r'/%0D}"
  printf '%s' "${s//$'\n'/%0A}"
}

# Error and warning lines of chainproof's standard error as annotations; anything else as it is.
annotate() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    case "$line" in
      "error: "*) echo "::error title=$title::$(escape_data "${line#error: }")" ;;
      "warning: "*) echo "::warning title=$title::$(escape_data "${line#warning: }")" ;;
      *) echo "$line" >&2 ;;
    esac
  done <"$1"
}

# The binary the setup step installed.
require_bin() {
  [[ -x "${CHAINPROOF_BIN:-}" ]] || fail "no chainproof binary at '${CHAINPROOF_BIN:-}'"
}
