#!/usr/bin/env bash
# Run chainproof sign (or chainproof attest) for actions/sign.
#
# Environment (set by action.yml through env:, never templated into the script):
#   CHAINPROOF_BIN       the binary (output of the setup step)
#   SIGN_FILES           files (or IMAGE@sha256:... references), one a line
#   SIGN_TYPE            empty: `chainproof sign` each file; else `chainproof attest --type`
#   SIGN_PREDICATE       --predicate of the attestation, when not empty
#   SIGN_BUNDLE_DIR      directory of the bundles; empty: next to each file
#   SIGN_BUNDLE_SUFFIX   appended to the file name (default .sigstore.json)
#   SIGN_SIGNING_CONFIG, SIGN_FULCIO_URL, SIGN_REKOR_URL, SIGN_TSA_URL, SIGN_KEY   the options of
#                        the same names, when not empty
#   SIGN_TLOG_UPLOAD     true or false (--tlog-upload, with a key)
# The identity token (SIGSTORE_ID_TOKEN, or the runner's ID-token request variables) and the key's
# password (CHAINPROOF_PASSWORD, COSIGN_PASSWORD) are read by chainproof itself, never here.
# Outputs: bundles (one path a line).
set -euo pipefail

title="chainproof sign"

# output, fail, escape_data, annotate and require_bin.
# shellcheck source-path=SCRIPTDIR source=../setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup/lib.sh"

require_bin

files=()
while IFS= read -r f || [[ -n "$f" ]]; do
  if [[ -n "${f//[[:space:]]/}" ]]; then files+=("$f"); fi
done <<<"${SIGN_FILES:-}"
[[ ${#files[@]} -gt 0 ]] || fail "files is empty: name the files to sign, one a line"

type="${SIGN_TYPE:-}"
if [[ -z "$type" && -n "${SIGN_PREDICATE:-}" ]]; then
  fail "predicate needs type: set type to the predicate's type (slsaprovenance1, cyclonedx, vuln, sarif or a URI)"
fi
tlog="${SIGN_TLOG_UPLOAD:-true}"
case "$tlog" in
  true | false) ;;
  *) fail "tlog-upload must be true or false, not '$tlog'" ;;
esac
suffix="${SIGN_BUNDLE_SUFFIX:-.sigstore.json}"
dir="${SIGN_BUNDLE_DIR:-}"
# Bundle paths go to a multi-line output, one a line: a line break in them would forge lines.
case "$dir$suffix" in
  *$'\n'* | *$'\r'*) fail "bundle-dir and bundle-suffix must not hold line breaks" ;;
esac
if [[ -n "$dir" ]]; then mkdir -p -- "$dir"; fi

services=()
if [[ -n "${SIGN_SIGNING_CONFIG:-}" ]]; then services+=("--signing-config=$SIGN_SIGNING_CONFIG"); fi
if [[ -n "${SIGN_FULCIO_URL:-}" ]]; then services+=("--fulcio-url=$SIGN_FULCIO_URL"); fi
if [[ -n "${SIGN_REKOR_URL:-}" ]]; then services+=("--rekor-url=$SIGN_REKOR_URL"); fi
if [[ -n "${SIGN_TSA_URL:-}" ]]; then services+=("--tsa-url=$SIGN_TSA_URL"); fi
if [[ -n "${SIGN_KEY:-}" ]]; then services+=("--key=$SIGN_KEY"); fi
if [[ "$tlog" == false ]]; then services+=(--tlog-upload false); fi

# The bundle of `file`, with `infix` (`.TYPE` for an attestation) before the suffix.
bundle_of() {
  local file="$1" infix="$2"
  if [[ -n "$dir" ]]; then
    printf '%s/%s%s%s' "${dir%/}" "${file##*/}" "$infix" "$suffix"
  else
    printf '%s%s%s' "$file" "$infix" "$suffix"
  fi
}

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
log="$tmp/chainproof-sign.log"
bundles=()
code=0
if [[ -z "$type" ]]; then
  # One run per file, so each bundle goes where bundle-dir and bundle-suffix say.
  for f in "${files[@]}"; do
    out="$(bundle_of "$f" "")"
    "$CHAINPROOF_BIN" sign --bundle="$out" "${services[@]}" -- "$f" 2>"$log" || code=$?
    annotate "$log"
    if [[ "$code" != 0 ]]; then break; fi
    echo "signed $f: $out"
    bundles+=("$out")
  done
else
  case "$type" in
    slsaprovenance1 | cyclonedx | vuln | sarif) infix=".$type" ;;
    *) infix=".intoto" ;;
  esac
  out="$(bundle_of "${files[0]}" "$infix")"
  attest=(attest "--type=$type")
  if [[ -n "${SIGN_PREDICATE:-}" ]]; then attest+=("--predicate=$SIGN_PREDICATE"); fi
  "$CHAINPROOF_BIN" "${attest[@]}" --bundle="$out" "${services[@]}" -- "${files[@]}" 2>"$log" || code=$?
  annotate "$log"
  if [[ "$code" == 0 ]]; then
    echo "attested ${#files[@]} subject(s) ($type): $out"
    bundles+=("$out")
  fi
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  # A multi-line output, with a random delimiter no input can predict (paths come one a line).
  delimiter="chainproof_bundles_$(random_hex)"
  {
    echo "bundles<<$delimiter"
    if [[ ${#bundles[@]} -gt 0 ]]; then printf '%s\n' "${bundles[@]}"; fi
    echo "$delimiter"
  } >>"$GITHUB_OUTPUT"
fi
if [[ -n "${GITHUB_STEP_SUMMARY:-}" && ${#bundles[@]} -gt 0 ]]; then
  {
    printf '## chainproof %s\n\n' "$([[ -z "$type" ]] && echo sign || echo "attest ($type)")"
    printf -- '- %s\n' "${bundles[@]}"
  } >>"$GITHUB_STEP_SUMMARY"
fi
if [[ "$code" != 0 ]]; then
  echo "::error title=$title::chainproof failed (exit $code)"
  exit "$code"
fi
