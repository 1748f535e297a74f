//! `terraform-provider-chainproof`: a Terraform provider (plugin protocol 6) that renders chainproof
//! pipeline templates into repositories and requires their checks.
//!
//! Module map: [`handshake`] (go-plugin handshake, AutoMTLS) and [`serve`] start the gRPC server;
//! [`server`] maps each tfplugin6 RPC to a [`provider::Resource`] or [`provider::DataSource`] in
//! [`resources`] / [`data_sources`] (one file each); values travel as MessagePack ([`value`]); schemas
//! ([`schema`]) carry the descriptions [`docs`] turns into `provider/docs/`.

pub mod config;
pub mod data_sources;
pub mod docs;
pub mod handshake;
pub mod proto;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod server;
pub mod value;

use std::io::Write as _;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};

/// A TLS handshake that takes longer is dropped (a connection that never speaks cannot hold a task).
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Waits after a failed `accept`, doubling up to the maximum.
const ACCEPT_BACKOFF_MIN: std::time::Duration = std::time::Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(1);

/// Largest gRPC message either way (state of hundreds of repositories, inventories).
const MAX_MESSAGE: usize = 256 << 20;

/// Binds a port in `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` when Terraform asks for a range, else any port.
async fn bind(env: &impl Fn(&str) -> Option<String>) -> std::io::Result<TcpListener> {
    let port = |k| env(k).and_then(|v| v.parse::<u16>().ok());
    if let (Some(min), Some(max)) = (port("PLUGIN_MIN_PORT"), port("PLUGIN_MAX_PORT")) {
        for p in min..=max {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", p)).await {
                return Ok(l);
            }
        }
    }
    TcpListener::bind(("127.0.0.1", 0)).await
}

/// Runs the plugin until Terraform shuts it down: handshake on stdout, then gRPC.
pub async fn serve(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    handshake::check_env(&env)?;
    let listener = bind(&env).await?;
    let addr = listener.local_addr()?;
    let shutdown = Arc::new(Notify::new());

    let router = tonic::transport::Server::builder()
        .add_service(
            proto::tfplugin6::provider_server::ProviderServer::new(
                server::ChainproofProvider::default(),
            )
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE),
        )
        .add_service(
            proto::plugin::grpc_controller_server::GrpcControllerServer::new(server::Controller {
                shutdown: shutdown.clone(),
            }),
        )
        .add_service(proto::plugin::grpc_stdio_server::GrpcStdioServer::new(
            server::Stdio,
        ));

    let client_cert = env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty());
    let (line, serving) = match client_cert {
        Some(pem) => {
            let identity = handshake::server_identity()?;
            let acceptor = tokio_rustls::TlsAcceptor::from(handshake::tls_config(&identity, &pem)?);
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            tokio::spawn(async move {
                let mut backoff = ACCEPT_BACKOFF_MIN;
                loop {
                    let (tcp, peer) = match listener.accept().await {
                        Ok(accepted) => {
                            backoff = ACCEPT_BACKOFF_MIN;
                            accepted
                        }
                        Err(e) => {
                            // E.g. EMFILE: retrying at once would spin; wait, a little longer each time.
                            tracing::warn!("accept failed: {e}; retrying in {backoff:?}");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                            continue;
                        }
                    };
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok::<_, std::io::Error>(tls)).await;
                            }
                            Ok(Err(e)) => tracing::warn!(%peer, "TLS handshake failed: {e}"),
                            Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
                        }
                    });
                }
            });
            let line = handshake::handshake_line(addr, Some(identity.cert.as_ref()));
            let serving: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
                Box::pin(router.serve_with_incoming(ReceiverStream::new(rx)));
            (line, serving)
        }
        None => {
            tracing::info!("no PLUGIN_CLIENT_CERT: serving plain gRPC on 127.0.0.1");
            let line = handshake::handshake_line(addr, None);
            let serving: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
                Box::pin(router.serve_with_incoming(TcpListenerStream::new(listener)));
            (line, serving)
        }
    };

    // The handshake: the one and only write to stdout.
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    tracing::debug!(%addr, "serving tfplugin6");

    tokio::select! {
        r = serving => r?,
        () = shutdown.notified() => {
            // Let the Shutdown response reach Terraform before the process exits.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    Ok(())
}
