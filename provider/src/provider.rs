//! What every resource and data source shares: diagnostics, the configured forge, and the registry.

use std::sync::Arc;

use chainproof_forge::{Forge, ForgeError};
use rmpv::Value;

use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::{data_sources, resources};

/// One diagnostic Terraform shows the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    pub error: bool,
    pub summary: String,
    pub detail: String,
    /// Top-level attribute the diagnostic points at.
    pub attribute: Option<String>,
}

impl Diag {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            error: true,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }
    pub fn at(mut self, attribute: &str) -> Self {
        self.attribute = Some(attribute.to_owned());
        self
    }
    /// A forge call that failed while doing `what`.
    pub fn forge(what: impl std::fmt::Display, e: ForgeError) -> Self {
        Self::error(format!("{what} failed"), e.to_string())
    }
    pub fn proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: if self.error {
                pb::diagnostic::Severity::Error as i32
            } else {
                pb::diagnostic::Severity::Warning as i32
            },
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.attribute.as_ref().map(|a| pb::AttributePath {
                steps: vec![pb::attribute_path::Step {
                    selector: Some(pb::attribute_path::step::Selector::AttributeName(a.clone())),
                }],
            }),
        }
    }
}

pub type Result<T> = std::result::Result<T, Diag>;

/// What a resource operation may use: the forge of the configured provider.
#[derive(Clone, Default)]
pub struct Cx {
    pub forge: Option<Arc<dyn Forge>>,
}

impl Cx {
    pub fn forge(&self) -> Result<&dyn Forge> {
        self.forge.as_deref().ok_or_else(|| {
            Diag::error(
                "provider not configured",
                "the chainproof provider was used before ConfigureProvider",
            )
        })
    }
}

/// The outcome of planning a managed resource.
pub struct Planned {
    pub state: Value,
    /// Attributes whose change replaces the resource.
    pub requires_replace: Vec<&'static str>,
}

#[tonic::async_trait]
pub trait Resource: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Static checks of a configuration (values may be unknown).
    fn validate(&self, _config: &Value) -> Vec<Diag> {
        Vec::new()
    }
    /// `proposed` is Terraform's merge of the configuration with the prior state; null when destroying.
    async fn plan(
        &self,
        cx: &Cx,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> Result<Planned>;
    /// Creates, updates (planned non-null) or deletes (planned null); returns the new state.
    async fn apply(&self, cx: &Cx, prior: &Value, planned: &Value) -> Result<Value>;
    /// The object as it is now; null when it no longer exists.
    async fn read(&self, cx: &Cx, state: &Value) -> Result<Value>;
    /// A state skeleton for `terraform import` (Terraform reads it next).
    async fn import(&self, cx: &Cx, id: &str) -> Result<Value>;
}

#[tonic::async_trait]
pub trait DataSource: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Vec<Diag> {
        Vec::new()
    }
    async fn read(&self, cx: &Cx, config: &Value) -> Result<Value>;
}

pub fn resources() -> Vec<Box<dyn Resource>> {
    vec![
        Box::new(resources::pipeline::RepositoryPipeline),
        Box::new(resources::checks::RequiredChecks),
    ]
}

pub fn data_sources() -> Vec<Box<dyn DataSource>> {
    vec![
        Box::new(data_sources::repositories::Repositories),
        Box::new(data_sources::template::Template),
    ]
}
