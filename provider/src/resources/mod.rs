//! Managed resources, one file each, and what they share.

pub mod checks;
pub mod pipeline;

use chainproof_forge::{Forge, ForgeError};
use rmpv::Value;

use crate::provider::{Diag, Result};
use crate::value::{Field, field};

/// Whether the attribute `name` may differ between `prior` and `planned`: no when both are null, a
/// comparison when both are known, yes otherwise (either side unknown, or null on one side only).
pub(crate) fn changed(prior: &Value, planned: &Value, name: &str) -> bool {
    match (field(prior, name), field(planned, name)) {
        (Field::Null, Field::Null) => false,
        (Field::Known(a), Field::Known(b)) => a != b,
        _ => true,
    }
}

/// The known string attribute `name`, else a diagnostic at it.
pub(crate) fn required<'a>(v: &'a Value, name: &str) -> Result<&'a str> {
    field(v, name)
        .str()
        .ok_or_else(|| Diag::error(format!("`{name}` is not known"), "").at(name))
}

/// The repository's default branch (one request).
pub(crate) async fn default_branch(forge: &dyn Forge, repo: &str) -> Result<String> {
    forge
        .repository(repo)
        .await
        .map(|r| r.default_branch)
        .map_err(|e| Diag::forge(format!("reading repository {repo}"), e).at("repository"))
}

/// After a refresh answered 404 (`err`, doing `what`): `Ok(())` when the repository itself is gone (a
/// 404 there too), so the resource is gone; otherwise an error, because a 404 on a repository that
/// exists means a missing branch or a token that may not see the object, and dropping the resource from
/// the state would hide that.
pub(crate) async fn confirm_gone(
    forge: &dyn Forge,
    repo: &str,
    what: &str,
    err: Option<ForgeError>,
) -> Result<()> {
    match forge.repository(repo).await {
        Err(ForgeError::NotFound { .. }) => Ok(()),
        Ok(_) => Err(match err {
            Some(e) => Diag::forge(what, e),
            None => Diag::error(
                format!("{what} failed"),
                format!(
                    "{repo} exists but the branch does not; set `branch` or recreate the branch"
                ),
            ),
        }
        .at("branch")),
        Err(e) => Err(Diag::forge(format!("reading repository {repo}"), e)),
    }
}
