#!/usr/bin/env bash
# Run chainproof lint for actions/lint.
#
# Environment (set by action.yml through env:, never templated into the script):
#   CHAINPROOF_BIN     the binary (output of the setup step)
#   LINT_PATHS         files or directories, separated by spaces or newlines
#   LINT_FAIL_ON       --fail-on
#   LINT_CONFIG        --config, when not empty
#   LINT_SARIF_FILE    also write SARIF here, when not empty
#   LINT_UPLOAD_SARIF  true: write SARIF (under RUNNER_TEMP unless LINT_SARIF_FILE) for the upload step
# Outputs: findings, sarif-file, exit-code (of the run with --fail-on; the action's last step uses it).
# Annotations and the job summary come from `--format github`.
set -euo pipefail

output() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}

[[ -x "${CHAINPROOF_BIN:-}" ]] || { echo "::error title=chainproof lint::no chainproof binary at '${CHAINPROOF_BIN:-}'"; exit 1; }
case "${LINT_UPLOAD_SARIF:-false}" in
  true | false) ;;
  *) echo "::error title=chainproof lint::upload-sarif must be true or false, not '$LINT_UPLOAD_SARIF'"; exit 1 ;;
esac

# Paths are split on whitespace only (no glob expansion).
set -f
read -r -d '' -a paths <<<"${LINT_PATHS:-.}" || true
set +f
[[ ${#paths[@]} -gt 0 ]] || paths=(.)
common=("${paths[@]}")
if [[ -n "${LINT_CONFIG:-}" ]]; then common+=(--config "$LINT_CONFIG"); fi

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

# 1. JSON, to count the findings (input errors are reported by the last run).
json="$tmp/chainproof-lint.json"
rm -f "$json"
"$CHAINPROOF_BIN" lint "${common[@]}" --format json --fail-on none --output "$json" 2>/dev/null || true
findings=""
if [[ -s "$json" ]]; then
  if command -v jq >/dev/null; then
    findings="$(jq '.findings | length' "$json")"
  else
    findings="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$json")"
  fi
fi
output findings "$findings"

# 2. SARIF, when asked for.
sarif="${LINT_SARIF_FILE:-}"
if [[ -z "$sarif" && "${LINT_UPLOAD_SARIF:-false}" == true ]]; then sarif="$tmp/chainproof.sarif"; fi
if [[ -n "$sarif" ]]; then
  "$CHAINPROOF_BIN" lint "${common[@]}" --format sarif --fail-on none --output "$sarif" 2>/dev/null || true
  output sarif-file "$sarif"
fi

# 3. Annotations + job summary; this run's exit code decides.
code=0
"$CHAINPROOF_BIN" lint "${common[@]}" --format github --fail-on "${LINT_FAIL_ON:-high}" || code=$?
output exit-code "$code"
fail_on="${LINT_FAIL_ON:-high}"
case "$code" in
  0) if [[ "$fail_on" == none ]]; then
       echo "chainproof: ${findings:-0} finding(s); fail-on is none"
     else
       echo "chainproof: ${findings:-0} finding(s), none at or above $fail_on"
     fi ;;
  1) echo "chainproof: ${findings:-some} finding(s), some at or above $fail_on: failing" ;;
  *) echo "chainproof: could not analyse the input (exit $code)" ;;
esac
