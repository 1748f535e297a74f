#!/usr/bin/env bash
# Run chainproof scan for actions/scan.
#
# Environment (set by action.yml through env:, never templated into the script):
#   CHAINPROOF_BIN     the binary (output of the setup step)
#   SCAN_PATH          directory (or one lockfile) to inventory
#   SCAN_SBOM          --sbom, when not empty (instead of SCAN_PATH)
#   SCAN_DB            --db, when not empty
#   SCAN_ONLINE        true: --online
#   SCAN_UPDATE_DB     true: `chainproof db update` first (into SCAN_DB or its default)
#   SCAN_VEX           --vex files, separated by newlines
#   SCAN_FORMAT        --format of the report file
#   SCAN_OUTPUT        the report file; empty: none for text, a name by format otherwise
#   SCAN_FAIL_ON       --fail-on
#   SCAN_MAX_DB_AGE    --max-db-age
#   SCAN_SARIF_FILE    also write SARIF here, when not empty
#   SCAN_UPLOAD_SARIF  true: write SARIF (under RUNNER_TEMP unless SCAN_SARIF_FILE) for the upload step
# Outputs: findings, not-checked, report-file, sarif-file, exit-code (of the text run with --fail-on;
# the action's last step fails with it, after the upload).
set -euo pipefail

title="chainproof scan"

# output, fail, escape_data, annotate and require_bin.
# shellcheck source-path=SCRIPTDIR source=../setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup/lib.sh"

require_bin
for pair in "online=${SCAN_ONLINE:-false}" "update-db=${SCAN_UPDATE_DB:-false}" \
  "upload-sarif=${SCAN_UPLOAD_SARIF:-false}"; do
  case "${pair#*=}" in
    true | false) ;;
    *) fail "${pair%%=*} must be true or false, not '${pair#*=}'" ;;
  esac
done
online="${SCAN_ONLINE:-false}"
if [[ "$online" == true && -n "${SCAN_DB:-}" ]]; then
  fail "db and online cannot both be set: online asks the OSV API instead of the offline database"
fi
if [[ "$online" == true && "${SCAN_UPDATE_DB:-false}" == true ]]; then
  fail "update-db fills the offline database, which online does not use"
fi

format="${SCAN_FORMAT:-text}"
case "$format" in
  text) default_file="" ;;
  json) default_file=chainproof-scan.json ;;
  sarif) default_file=chainproof-scan.sarif ;;
  gitlab) default_file=gl-dependency-scanning-report.json ;;
  cyclonedx-json) default_file=chainproof-scan.cdx.json ;;
  *) fail "format must be text, json, sarif, gitlab or cyclonedx-json, not '$format'" ;;
esac
report="${SCAN_OUTPUT:-$default_file}"

common=()
if [[ -n "${SCAN_SBOM:-}" ]]; then
  common+=(--sbom "$SCAN_SBOM")
else
  common+=("${SCAN_PATH:-.}")
fi
if [[ "$online" == true ]]; then common+=(--online); fi
if [[ -n "${SCAN_DB:-}" ]]; then common+=(--db "$SCAN_DB"); fi
# VEX files, one a line (names may hold spaces; blank lines are skipped).
while IFS= read -r vex || [[ -n "$vex" ]]; do
  if [[ -n "${vex//[[:space:]]/}" ]]; then common+=(--vex "$vex"); fi
done <<<"${SCAN_VEX:-}"
common+=(--max-db-age "${SCAN_MAX_DB_AGE:-7}")

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
log="$tmp/chainproof-scan.log"

# 0. The database, when asked for (the one step that needs the network besides online).
if [[ "${SCAN_UPDATE_DB:-false}" == true ]]; then
  update=(db update)
  if [[ -n "${SCAN_DB:-}" ]]; then update+=(--db "$SCAN_DB"); fi
  code=0
  "$CHAINPROOF_BIN" "${update[@]}" 2>"$log" || code=$?
  annotate "$log"
  if [[ "$code" != 0 ]]; then
    echo "::error title=$title::chainproof db update failed (exit $code)"
    exit "$code"
  fi
fi

# 1. JSON, to count the vulnerabilities and the components not checked (the last run reports
# errors).
json="$tmp/chainproof-scan.json"
rm -f "$json"
"$CHAINPROOF_BIN" scan "${common[@]}" --format json --fail-on none --output "$json" 2>/dev/null || true
findings=""
not_checked=""
by_severity=""
if [[ -s "$json" ]]; then
  if command -v jq >/dev/null; then
    findings="$(jq '.findings | length' "$json")"
    not_checked="$(jq '.not_checked | length' "$json")"
    by_severity="$(jq -r '.summary.by_severity // {} | to_entries | map("\(.value) \(.key)") | join(", ")' "$json")"
  else
    findings="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$json")"
    not_checked="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["not_checked"]))' "$json")"
  fi
fi
output findings "$findings"
output not-checked "$not_checked"

# 2. The report file in format, when there is one.
if [[ -n "$report" ]]; then
  rm -f "$report"
  "$CHAINPROOF_BIN" scan "${common[@]}" --format "$format" --fail-on none --output "$report" 2>/dev/null || true
  if [[ -e "$report" ]]; then output report-file "$report"; fi
fi

# 3. SARIF, when asked for.
sarif="${SCAN_SARIF_FILE:-}"
if [[ -z "$sarif" && "${SCAN_UPLOAD_SARIF:-false}" == true ]]; then sarif="$tmp/chainproof-scan.sarif"; fi
if [[ -n "$sarif" ]]; then
  rm -f "$sarif"
  "$CHAINPROOF_BIN" scan "${common[@]}" --format sarif --fail-on none --output "$sarif" 2>/dev/null || true
  if [[ -s "$sarif" ]]; then output sarif-file "$sarif"; fi
fi

# 4. The text report in the log, its errors and warnings as annotations; this run's exit code
# decides.
fail_on="${SCAN_FAIL_ON:-high}"
code=0
"$CHAINPROOF_BIN" scan "${common[@]}" --format text --fail-on "$fail_on" 2>"$log" || code=$?
annotate "$log"
output exit-code "$code"

case "$code" in
  0) verdict="none at or above $fail_on" ;;
  1) verdict="some at or above $fail_on: failing" ;;
  *) verdict="the scan is incomplete or could not run (exit $code): failing" ;;
esac
[[ "$fail_on" != none || "$code" != 0 ]] || verdict="fail-on is none"
summary="chainproof scan: ${findings:-?} vulnerabilit$([[ "$findings" == 1 ]] && echo y || echo ies)${by_severity:+ ($by_severity)}, ${not_checked:-?} component(s) not checked; $verdict"
echo "$summary"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  {
    printf '## chainproof scan\n\n'
    printf '%s vulnerabilit%s%s; %s component(s) not checked (these may be vulnerable); %s.\n' \
      "${findings:-?}" "$([[ "$findings" == 1 ]] && echo y || echo ies)" "${by_severity:+ ($by_severity)}" \
      "${not_checked:-?}" "$verdict"
  } >>"$GITHUB_STEP_SUMMARY"
fi
