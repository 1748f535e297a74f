#!/usr/bin/env bash
# The Terraform provider at scale: REPOS repositories on the fake GitHub (chainproof-fake-forge), one
# `chainproof_repository_pipeline` each (mode = "commit"), measured with the real Terraform CLI:
#   apply (create), no-change plan, requests per repository and wall time,
# compared in the same run with a naive one-file-per-commit Contents-API rollout on a second fake
# (bench/provider_naive.py, what `github_repository_file` does).
#
# Usage: bench/provider.sh          REPOS=500 by default; release build (PROFILE=dev for a debug one)
# Targets (issue 5): no-change plan <= 1 request/repository, apply <= 5/repository, plan of 500 < 30 s.
# Exits 3 when a target is missed.
# Results are set by name (printf -v) in start_fake and measure.
# shellcheck disable=SC2154
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repos="${REPOS:-500}"
profile="${PROFILE:-release}"
terraform="${TERRAFORM:-$root/.tools/bin/terraform}"
[[ -x "$terraform" ]] || { echo "bench/provider.sh: no terraform at $terraform (scripts/install-test-tools.sh)" >&2; exit 1; }

cargo build --quiet --locked --profile "$profile" -p terraform-provider-chainproof
cargo build --quiet --locked --profile "$profile" -p chainproof-forge --features fake --bin chainproof-fake-forge
dir="$root/target/$([[ "$profile" == dev ]] && echo debug || echo "$profile")"

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start_fake NAME: a fake GitHub with $repos repositories; sets url_NAME.
start_fake() {
  "$dir/chainproof-fake-forge" github --repos "$repos" --owner acme >"$work/$1.url" 2>"$work/$1.log" &
  pids+=("$!")
  for _ in $(seq 1 300); do [[ -s "$work/$1.url" ]] && break; sleep 0.1; done
  printf -v "url_$1" '%s' "$(head -n1 "$work/$1.url")"
}
start_fake provider
start_fake naive
total() { curl -fsS "$1/_fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

mkdir -p "$work/plugins" "$work/tf" "$work/home"
cp "$dir/terraform-provider-chainproof" "$work/plugins/"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides { "chainproof/chainproof" = "$work/plugins" }
  direct {}
}
RC
cat >"$work/tf/main.tf" <<TF
terraform {
  required_providers {
    chainproof = { source = "chainproof/chainproof" }
  }
}
provider "chainproof" {
  forge    = "github"
  base_url = "$url_provider"
}
locals {
  values = jsonencode({ chainproof_sha = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6", chainproof_version = "v0.1.0" })
}
resource "chainproof_repository_pipeline" "p" {
  for_each   = toset([for i in range(1, $repos + 1) : format("acme/repo-%04d", i)])
  repository = each.value
  branch     = "main"
  template   = "github-rust"
  values     = local.values
  mode       = "commit"
}
data "chainproof_template" "t" {
  template = "github-rust"
  values   = local.values
}
output "files" { value = data.chainproof_template.t.files }
TF
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0 HOME="$work/home" GITHUB_TOKEN=bench
cd "$work/tf"

now() { date +%s.%N; }
# measure LABEL CMD...: wall seconds and fake requests of one terraform command.
measure() {
  local label="$1"; shift
  local before after t0 t1 code=0
  before="$(total "$url_provider")"
  t0="$(now)"
  "$@" >"$work/$label.out" 2>&1 || code=$?
  t1="$(now)"
  after="$(total "$url_provider")"
  printf -v "secs_$label" '%s' "$(python3 -c "print(f'{$t1 - $t0:.1f}')")"
  printf -v "req_$label" '%s' "$((after - before))"
  printf -v "code_$label" '%s' "$code"
}

measure apply "$terraform" apply -auto-approve -no-color
[[ "$code_apply" == 0 ]] || { tail -n 30 "$work/apply.out"; exit 1; }
measure plan "$terraform" plan -detailed-exitcode -no-color
[[ "$code_plan" == 0 ]] || { tail -n 30 "$work/plan.out"; echo "no-change plan exited $code_plan" >&2; exit 1; }
"$terraform" output -json files >"$work/files.json"
nfiles="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/files.json")"

names=()
for i in $(seq 1 "$repos"); do names+=("$(printf 'acme/repo-%04d' "$i")"); done
naive_apply="$(python3 "$root/bench/provider_naive.py" "$url_naive" "$work/files.json" "${names[@]}")"
naive_refresh="$(python3 "$root/bench/provider_naive.py" "$url_naive" "$work/files.json" "${names[@]}" --refresh)"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

per() { python3 -c "print(f'{$1 / $repos:.2f}')"; }
cat <<REPORT

provider bench: $repos repositories on the fake GitHub, template github-rust ($nfiles file(s)), profile $profile
                                  wall s   requests   per repository
chainproof apply (create)         $(printf '%6s %10s %10s' "$secs_apply" "$req_apply" "$(per "$req_apply")")
chainproof no-change plan         $(printf '%6s %10s %10s' "$secs_plan" "$req_plan" "$(per "$req_plan")")
naive Contents API rollout        $(printf '%6s %10s %10s' "$(field "$naive_apply" seconds)" "$(field "$naive_apply" requests)" "$(per "$(field "$naive_apply" requests)")")   ($(field "$naive_apply" commits) commits)
naive refresh (GET per file)      $(printf '%6s %10s %10s' "$(field "$naive_refresh" seconds)" "$(field "$naive_refresh" requests)" "$(per "$(field "$naive_refresh" requests)")")
REPORT

missed=0
python3 -c "import sys; sys.exit(0 if $req_plan <= $repos else 1)" || { echo "target missed: no-change plan > 1 request/repository" >&2; missed=1; }
python3 -c "import sys; sys.exit(0 if $req_apply <= 5 * $repos else 1)" || { echo "target missed: apply > 5 requests/repository" >&2; missed=1; }
if [[ "$repos" == 500 ]]; then
  python3 -c "import sys; sys.exit(0 if $secs_plan < 30 else 1)" || { echo "target missed: plan of 500 repositories >= 30 s" >&2; missed=1; }
fi
[[ "$missed" == 0 ]] || exit 3
