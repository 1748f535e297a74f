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
  echo "::error title=$title::$(escape_data "$*")"
  exit 1
}

# 32 random hex digits (multi-line output delimiters, stop-commands tokens).
random_hex() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
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
      *)
        # Not ours: printed with CR escaped (the runner splits lines at CR too), and a line that
        # reads as a workflow command (`::warning::...`, `##[error]...`) with command processing
        # stopped, so it cannot raise an annotation or set state.
        local text="${line//$'\r'/%0D}" token
        case "${text#"${text%%[![:space:]]*}"}" in
          "::"* | "##["*)
            token="$(random_hex)"
            printf '::stop-commands::%s\n%s\n::%s::\n' "$token" "$text" "$token" >&2
            ;;
          *) printf '%s\n' "$text" >&2 ;;
        esac
        ;;
    esac
  done <"$1"
}

# The binary the setup step installed.
require_bin() {
  [[ -x "${CHAINPROOF_BIN:-}" ]] || fail "no chainproof binary at '${CHAINPROOF_BIN:-}'"
}
