//! The tfplugin6 `Provider` service and go-plugin's control services.

use std::pin::Pin;
use std::sync::{Arc, RwLock};

use rmpv::Value;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::proto::plugin;
use crate::proto::tfplugin6 as pb;
use crate::provider::{self, Cx, DataSource, Diag, Resource};
use crate::{config, value};

type Diags = Vec<pb::Diagnostic>;

fn diags(list: &[Diag]) -> Diags {
    list.iter().map(Diag::proto).collect()
}

fn decode(dv: Option<&pb::DynamicValue>) -> Result<Value, Diags> {
    value::decode(dv).map_err(|e| diags(&[Diag::error("cannot decode a value from Terraform", e)]))
}

/// Reads an environment variable (the token); tests pass their own.
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The provider: its resources, data sources and the forge set by `ConfigureProvider`.
pub struct ChainproofProvider {
    resources: Vec<Box<dyn Resource>>,
    data_sources: Vec<Box<dyn DataSource>>,
    cx: RwLock<Cx>,
    env: Env,
}

impl Default for ChainproofProvider {
    fn default() -> Self {
        Self::new(Box::new(|k| std::env::var(k).ok()))
    }
}

impl ChainproofProvider {
    /// `env` reads environment variables (the token); tests pass their own.
    pub fn new(env: Env) -> Self {
        Self {
            resources: provider::resources(),
            data_sources: provider::data_sources(),
            cx: RwLock::new(Cx::default()),
            env,
        }
    }

    fn resource(&self, name: &str) -> Result<&dyn Resource, Status> {
        self.resources
            .iter()
            .find(|r| r.name() == name)
            .map(|r| r.as_ref())
            .ok_or_else(|| Status::not_found(format!("unknown resource type {name}")))
    }

    fn data_source(&self, name: &str) -> Result<&dyn DataSource, Status> {
        self.data_sources
            .iter()
            .find(|r| r.name() == name)
            .map(|r| r.as_ref())
            .ok_or_else(|| Status::not_found(format!("unknown data source {name}")))
    }

    fn cx(&self) -> Cx {
        self.cx.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// The full provider schema, as `GetProviderSchema` returns it.
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(config::schema().proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|r| (r.name().to_owned(), r.schema().proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|d| (d.name().to_owned(), d.schema().proto()))
                .collect(),
            functions: Default::default(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        }
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ChainproofProvider {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .iter()
                .map(|d| pb::get_metadata::DataSourceMetadata {
                    type_name: d.name().to_owned(),
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| pb::get_metadata::ResourceMetadata {
                    type_name: r.name().to_owned(),
                })
                .collect(),
            functions: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schema_response()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let diagnostics = match decode(req.get_ref().config.as_ref()) {
            Ok(config) => diags(&config::validate(&config)),
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let r = self.resource(&req.get_ref().type_name)?;
        let diagnostics = match decode(req.get_ref().config.as_ref()) {
            Ok(config) => diags(&r.validate(&config)),
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let d = self.data_source(&req.get_ref().type_name)?;
        let diagnostics = match decode(req.get_ref().config.as_ref()) {
            Ok(config) => diags(&d.validate(&config)),
            Err(e) => e,
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let r = self.resource(&req.type_name)?;
        // Schema version 0 is the only one so far: the stored JSON is the current shape.
        let raw = req.raw_state.unwrap_or_default();
        let json: serde_json::Value = if raw.json.is_empty() {
            serde_json::Value::Null
        } else {
            match serde_json::from_slice(&raw.json) {
                Ok(j) => j,
                Err(e) => {
                    return Ok(Response::new(pb::upgrade_resource_state::Response {
                        upgraded_state: None,
                        diagnostics: diags(&[Diag::error(
                            "stored state is not JSON",
                            e.to_string(),
                        )]),
                    }));
                }
            }
        };
        let upgraded = r.schema().normalize(&value::from_json(&json));
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(value::encode(&upgraded)),
            diagnostics: Vec::new(),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let config = match decode(req.get_ref().config.as_ref()) {
            Ok(c) => c,
            Err(diagnostics) => {
                return Ok(Response::new(pb::configure_provider::Response {
                    diagnostics,
                }));
            }
        };
        // Cheap on purpose: Terraform starts a provider process per graph walk, and HTTP clients are only
        // built on first use.
        let result = config::forge_config(&config, &self.env).and_then(|fc| {
            tracing::debug!(forge = %fc.kind, base_url = ?fc.base_url, token = fc.token.is_some(), "configure");
            chainproof_forge::connect(&fc).map_err(|e| Diag::error("cannot configure the forge", e.to_string()))
        });
        let diagnostics = match result {
            Ok(forge) => {
                if let Ok(mut cx) = self.cx.write() {
                    cx.forge = Some(Arc::from(forge));
                }
                Vec::new()
            }
            Err(d) => diags(&[d]),
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let r = self.resource(&req.type_name)?;
        let fail = |diagnostics| pb::read_resource::Response {
            new_state: None,
            diagnostics,
            private: Vec::new(),
        };
        let state = match decode(req.current_state.as_ref()) {
            Ok(s) => s,
            Err(d) => return Ok(Response::new(fail(d))),
        };
        if matches!(state, Value::Nil) {
            return Ok(Response::new(pb::read_resource::Response {
                new_state: Some(value::encode(&Value::Nil)),
                diagnostics: Vec::new(),
                private: req.private,
            }));
        }
        Ok(Response::new(match r.read(&self.cx(), &state).await {
            Ok(new) => pb::read_resource::Response {
                new_state: Some(value::encode(&new)),
                diagnostics: Vec::new(),
                private: req.private,
            },
            Err(d) => fail(diags(&[d])),
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let r = self.resource(&req.type_name)?;
        let fail = |diagnostics| pb::plan_resource_change::Response {
            planned_state: None,
            requires_replace: Vec::new(),
            planned_private: Vec::new(),
            diagnostics,
            legacy_type_system: false,
        };
        let (prior, proposed, config) = match (
            decode(req.prior_state.as_ref()),
            decode(req.proposed_new_state.as_ref()),
            decode(req.config.as_ref()),
        ) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return Ok(Response::new(fail(d))),
        };
        Ok(Response::new(
            match r.plan(&self.cx(), &prior, &proposed, &config).await {
                Ok(planned) => pb::plan_resource_change::Response {
                    planned_state: Some(value::encode(&planned.state)),
                    requires_replace: planned
                        .requires_replace
                        .iter()
                        .map(|a| pb::AttributePath {
                            steps: vec![pb::attribute_path::Step {
                                selector: Some(pb::attribute_path::step::Selector::AttributeName(
                                    (*a).to_owned(),
                                )),
                            }],
                        })
                        .collect(),
                    planned_private: req.prior_private,
                    diagnostics: Vec::new(),
                    legacy_type_system: false,
                },
                Err(d) => fail(diags(&[d])),
            },
        ))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let r = self.resource(&req.type_name)?;
        let (prior, planned) = match (
            decode(req.prior_state.as_ref()),
            decode(req.planned_state.as_ref()),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(d), _) | (_, Err(d)) => {
                return Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: None,
                    private: Vec::new(),
                    diagnostics: d,
                    legacy_type_system: false,
                }));
            }
        };
        Ok(Response::new(
            match r.apply(&self.cx(), &prior, &planned).await {
                Ok(new) => pb::apply_resource_change::Response {
                    new_state: Some(value::encode(&new)),
                    private: Vec::new(),
                    diagnostics: Vec::new(),
                    legacy_type_system: false,
                },
                // On failure the prior object is still there (every change is one atomic commit).
                Err(d) => pb::apply_resource_change::Response {
                    new_state: Some(value::encode(&prior)),
                    private: Vec::new(),
                    diagnostics: diags(&[d]),
                    legacy_type_system: false,
                },
            },
        ))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let r = self.resource(&req.type_name)?;
        Ok(Response::new(match r.import(&self.cx(), &req.id).await {
            Ok(state) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(value::encode(&state)),
                    private: Vec::new(),
                }],
                diagnostics: Vec::new(),
            },
            Err(d) => pb::import_resource_state::Response {
                imported_resources: Vec::new(),
                diagnostics: diags(&[d]),
            },
        }))
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(Status::unimplemented(
            "chainproof resources cannot be moved from other resource types",
        ))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let d = self.data_source(&req.type_name)?;
        let config = match decode(req.config.as_ref()) {
            Ok(c) => c,
            Err(diagnostics) => {
                return Ok(Response::new(pb::read_data_source::Response {
                    state: None,
                    diagnostics,
                }));
            }
        };
        Ok(Response::new(match d.read(&self.cx(), &config).await {
            Ok(state) => pb::read_data_source::Response {
                state: Some(value::encode(&state)),
                diagnostics: Vec::new(),
            },
            Err(e) => pb::read_data_source::Response {
                state: None,
                diagnostics: diags(&[e]),
            },
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        _: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Err(Status::unimplemented(
            "the chainproof provider defines no functions",
        ))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        // Every operation is one bounded forge call sequence; nothing long-running to cancel.
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

/// go-plugin's `GRPCController`: Terraform asks the plugin to exit.
pub struct Controller {
    pub shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        self.shutdown.notify_one();
        Ok(Response::new(plugin::Empty {}))
    }
}

/// go-plugin's `GRPCStdio`: the provider never writes to stdout/stderr through it (logs go to stderr
/// directly), so the stream stays open and empty until the process exits.
pub struct Stdio;

type StdioStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<plugin::StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
