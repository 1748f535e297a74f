#!/usr/bin/env bash
# Run chainproof verify for actions/verify.
#
# Environment (set by action.yml through env:, never templated into the script):
#   CHAINPROOF_BIN   the binary (output of the setup step)
#   VERIFY_FILE      files (or IMAGE@sha256:... references), one a line
#   VERIFY_BUNDLE    bundles, one a line (only with one file); empty: FILE.sigstore.json per file
#   VERIFY_TRUSTED_ROOT, VERIFY_CERTIFICATE_IDENTITY, VERIFY_CERTIFICATE_IDENTITY_REGEXP,
#   VERIFY_CERTIFICATE_OIDC_ISSUER, VERIFY_OWNER, VERIFY_REPO, VERIFY_SIGNER_WORKFLOW,
#   VERIFY_SOURCE_REF, VERIFY_SOURCE_DIGEST, VERIFY_RUNNER_ENVIRONMENT, VERIFY_KEY, VERIFY_POLICY
#                    the options of the same names, when not empty
# Outputs: verified (the number of bundles verified). The step fails with chainproof's exit code
# (1: a check failed; 2: unusable inputs) at the first file that does not verify.
set -euo pipefail

title="chainproof verify"

# output, fail, escape_data, annotate and require_bin.
# shellcheck source-path=SCRIPTDIR source=../setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup/lib.sh"

require_bin
# Files and bundles, one a line (names may hold spaces; blank lines are skipped).
files=()
while IFS= read -r l || [[ -n "$l" ]]; do
  if [[ -n "${l//[[:space:]]/}" ]]; then files+=("$l"); fi
done <<<"${VERIFY_FILE:-}"
bundles=()
while IFS= read -r l || [[ -n "$l" ]]; do
  if [[ -n "${l//[[:space:]]/}" ]]; then bundles+=("$l"); fi
done <<<"${VERIFY_BUNDLE:-}"
[[ ${#files[@]} -gt 0 ]] || fail "file is empty: name the file to verify"
if [[ ${#files[@]} -gt 1 && ${#bundles[@]} -gt 0 ]]; then
  fail "bundle names the bundles of one file: with several files leave it empty (FILE.sigstore.json each)"
fi

policy=()
add() {
  if [[ -n "$2" ]]; then policy+=("$1=$2"); fi
}
add --trusted-root "${VERIFY_TRUSTED_ROOT:-}"
add --certificate-identity "${VERIFY_CERTIFICATE_IDENTITY:-}"
add --certificate-identity-regexp "${VERIFY_CERTIFICATE_IDENTITY_REGEXP:-}"
add --certificate-oidc-issuer "${VERIFY_CERTIFICATE_OIDC_ISSUER:-}"
add --owner "${VERIFY_OWNER:-}"
add --repo "${VERIFY_REPO:-}"
add --signer-workflow "${VERIFY_SIGNER_WORKFLOW:-}"
add --source-ref "${VERIFY_SOURCE_REF:-}"
add --source-digest "${VERIFY_SOURCE_DIGEST:-}"
add --runner-environment "${VERIFY_RUNNER_ENVIRONMENT:-}"
add --key "${VERIFY_KEY:-}"
add --policy "${VERIFY_POLICY:-}"

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
log="$tmp/chainproof-verify.log"
verified=0
code=0
for f in "${files[@]}"; do
  args=()
  if [[ ${#bundles[@]} -gt 0 ]]; then
    for b in "${bundles[@]}"; do args+=("--bundle=$b"); done
    n=${#bundles[@]}
  elif [[ "$f" == *@sha256:* && ! -e "$f" ]]; then
    # An image: its signatures and attestations come from the registry.
    n=1
  else
    args+=("--bundle=$f.sigstore.json")
    n=1
  fi
  "$CHAINPROOF_BIN" verify "${args[@]}" "${policy[@]}" -- "$f" 2>"$log" || code=$?
  annotate "$log"
  if [[ "$code" != 0 ]]; then
    echo "::error title=$title::$(escape_data "$f: verification failed (exit $code)")"
    break
  fi
  echo "verified $f"
  verified=$((verified + n))
done

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "verified=$verified" >>"$GITHUB_OUTPUT"; fi
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  {
    printf '## chainproof verify\n\n'
    if [[ "$code" == 0 ]]; then
      printf '%s bundle(s) of %s file(s) verified.\n' "$verified" "${#files[@]}"
    else
      printf 'Verification failed (exit %s) after %s bundle(s).\n' "$code" "$verified"
    fi
  } >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
