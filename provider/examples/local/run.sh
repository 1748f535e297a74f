#!/usr/bin/env bash
# Try the chainproof Terraform provider offline, without a token or a registry:
#   builds the provider, writes a Terraform CLI configuration with `dev_overrides` pointing at it,
#   creates two local git repositories, then runs plan, apply, a no-change plan, a manual edit and a
#   drift plan (which must exit 2).
#
# Usage: provider/examples/local/run.sh [WORKDIR]
#   TERRAFORM               terraform binary (default: `terraform` on PATH; Terraform >= 1.0)
#   CHAINPROOF_PROVIDER_BIN use this provider binary instead of building one (the tests do)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
terraform="${TERRAFORM:-terraform}"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

step() { printf '\n==> %s\n' "$*"; }

# 1. The provider binary, in a directory of its own (what dev_overrides points at).
if [[ -n "${CHAINPROOF_PROVIDER_BIN:-}" ]]; then
  bin="$CHAINPROOF_PROVIDER_BIN"
else
  step "building the provider"
  cargo build --quiet --manifest-path "$repo_root/Cargo.toml" -p terraform-provider-chainproof
  bin="$repo_root/target/debug/terraform-provider-chainproof"
fi
mkdir -p "$work/plugins"
cp "$bin" "$work/plugins/terraform-provider-chainproof"

# 2. The CLI configuration: no `terraform init`, the provider comes from plugins/.
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "chainproof/chainproof" = "$work/plugins"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_VAR_root="$work/repos"

# 3. Two repositories with one commit each.
step "creating $TF_VAR_root/acme/{api,web}"
for name in api web; do
  dir="$TF_VAR_root/acme/$name"
  rm -rf "$dir"
  git init --quiet --initial-branch main "$dir"
  printf '# %s\n' "$name" >"$dir/README.md"
  git -C "$dir" add README.md
  git -C "$dir" -c user.name=example -c user.email=example@localhost commit --quiet -m "Initial commit"
done

mkdir -p "$work/config"
cp "$here/main.tf" "$work/config/main.tf"
cd "$work/config"
rm -f terraform.tfstate terraform.tfstate.backup

# plan STEP EXPECTED: `terraform plan -detailed-exitcode` must exit EXPECTED (0 no changes, 2 changes).
plan() {
  step "$1"
  local code=0
  "$terraform" plan -no-color -detailed-exitcode || code=$?
  if [[ "$code" != "$2" ]]; then
    echo "run.sh: terraform plan exited $code, expected $2" >&2
    exit 1
  fi
}

plan "plan (exit 2: two pipelines and one protection to create)" 2
step "apply"
"$terraform" apply -no-color -auto-approve
plan "no-change plan (exit 0)" 0

step "manual edit of acme/api's workflow (outside Terraform)"
api="$TF_VAR_root/acme/api"
git -C "$api" reset --quiet --hard main   # the provider committed without touching the worktree
printf '# edited by hand\n' >>"$api/.github/workflows/ci.yml"
git -C "$api" -c user.name=someone -c user.email=someone@localhost commit --quiet -am "manual edit"

plan "drift plan (exit 2: the edit shows as a change outside Terraform)" 2
step "done: the example ran in $work"
