#!/usr/bin/env bash
# Run chainproof sbom for actions/sbom.
#
# Environment (set by action.yml through env:, never templated into the script):
#   CHAINPROOF_BIN        the binary (output of the setup step)
#   SBOM_PATH             directory (or one lockfile) to inventory
#   SBOM_FORMAT           --format: cyclonedx-json, cyclonedx-xml or spdx-json
#   SBOM_OUTPUT           --output; empty: sbom.cdx.json, sbom.cdx.xml or sbom.spdx.json by format
#   SBOM_STRICT           true: --strict
#   SBOM_UPLOAD_ARTIFACT  true or false (checked here; the upload is the action's next step)
# Outputs: sbom-file, components (CycloneDX components of the same inventory), exit-code (the
# action's last step fails with it, after the upload).
set -euo pipefail

title="chainproof sbom"

# output, fail, escape_data, annotate and require_bin.
# shellcheck source-path=SCRIPTDIR source=../setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup/lib.sh"

require_bin
for pair in "strict=${SBOM_STRICT:-false}" "upload-artifact=${SBOM_UPLOAD_ARTIFACT:-false}"; do
  case "${pair#*=}" in
    true | false) ;;
    *) fail "${pair%%=*} must be true or false, not '${pair#*=}'" ;;
  esac
done

format="${SBOM_FORMAT:-cyclonedx-json}"
case "$format" in
  cyclonedx-json) default_file=sbom.cdx.json ;;
  cyclonedx-xml) default_file=sbom.cdx.xml ;;
  spdx-json) default_file=sbom.spdx.json ;;
  *) fail "format must be cyclonedx-json, cyclonedx-xml or spdx-json, not '$format'" ;;
esac
file="${SBOM_OUTPUT:-$default_file}"
path="${SBOM_PATH:-.}"
args=("$path" --format "$format")
if [[ "${SBOM_STRICT:-false}" == true ]]; then args+=(--strict); fi

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
log="$tmp/chainproof-sbom.log"

# 1. The SBOM; its warnings and errors become annotations.
rm -f "$file"
code=0
"$CHAINPROOF_BIN" sbom "${args[@]}" --output "$file" 2>"$log" || code=$?
annotate "$log"
output exit-code "$code"
if [[ ! -s "$file" ]]; then
  echo "::error title=$title::no SBOM was written (chainproof exited with $code)"
  exit $((code == 0 ? 1 : code))
fi
output sbom-file "$file"

# 2. The component count, from CycloneDX JSON (written again when the SBOM has another format;
# the output is deterministic, so it is the same inventory).
cdx="$file"
if [[ "$format" != cyclonedx-json ]]; then
  cdx="$tmp/chainproof-sbom-count.cdx.json"
  "$CHAINPROOF_BIN" sbom "$path" --format cyclonedx-json --output "$cdx" 2>/dev/null || true
fi
components=""
if [[ -s "$cdx" ]]; then
  if command -v jq >/dev/null; then
    components="$(jq '.components // [] | length' "$cdx")"
  else
    components="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1])).get("components", [])))' "$cdx")"
  fi
fi
output components "$components"

summary="chainproof sbom: ${components:-?} component(s) in $file ($format)"
echo "$summary"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  printf "## chainproof sbom\n\n%s component(s) in \`%s\` (%s).\n" "${components:-?}" "$file" "$format" >>"$GITHUB_STEP_SUMMARY"
fi
case "$code" in
  0) ;;
  *) echo "chainproof: some input could not be inventoried (exit $code); the SBOM lists it" ;;
esac
