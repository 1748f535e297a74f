# Offline example: every repository under $root/acme gets the github-rust pipeline, committed straight
# to its default branch, and `acme/api` requires the pipeline's jobs. run.sh creates the repositories.
terraform {
  required_providers {
    chainproof = { source = "chainproof/chainproof" }
  }
}

variable "root" {
  description = "Directory holding <owner>/<name> git repositories."
  type        = string
}

provider "chainproof" {
  forge = "local"
  root  = var.root
}

data "chainproof_repositories" "acme" {
  owner = "acme"
}

# `branch` from the inventory: without it, every apply looks each repository's default branch up (one
# more request per repository on GitHub and GitLab).
resource "chainproof_repository_pipeline" "rust" {
  for_each   = { for r in data.chainproof_repositories.acme.repositories : r.full_name => r }
  repository = each.key
  branch     = each.value.default_branch
  template   = "github-rust"
  mode       = "commit"
  values = jsonencode({
    chainproof_sha     = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6"
    chainproof_version = "v0.1.0"
    rust_toolchain     = "1.90.0"
  })
}

resource "chainproof_required_checks" "api" {
  repository             = "acme/api"
  checks                 = ["chainproof / lint", "chainproof / scan"]
  require_signed_commits = true
}

output "files" {
  value = { for repo, p in chainproof_repository_pipeline.rust : repo => keys(p.files) }
}
