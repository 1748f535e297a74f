//! go-plugin's handshake: the magic cookie, protocol negotiation, AutoMTLS and the one line on stdout.
//!
//! Terraform starts the provider with `TF_PLUGIN_MAGIC_COOKIE`, `PLUGIN_PROTOCOL_VERSIONS` and (unless
//! `TF_DISABLE_PLUGIN_TLS` is set) `PLUGIN_CLIENT_CERT`, its own certificate in PEM. The provider listens on
//! 127.0.0.1, answers with `1|6|tcp|127.0.0.1:PORT|grpc|<base64 DER of its own certificate>` on stdout —
//! the only thing it ever writes there — and then serves gRPC, over TLS that accepts exactly Terraform's
//! certificate when one was given, or in plain text when not.

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version (the first field of the handshake line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// Terraform plugin protocol major version this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "this binary is a plugin: it is not meant to be run directly. Terraform runs it (see provider/README.md)"
    )]
    NotAPlugin,
    #[error(
        "Terraform offers plugin protocol versions {offered:?}; this provider speaks only version 6 (Terraform >= 0.15.4)"
    )]
    Protocol { offered: String },
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate")]
    ClientCert,
    #[error("cannot create the provider's TLS certificate: {0}")]
    Certificate(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Checks the environment Terraform sets before anything else happens.
pub fn check_env(env: impl Fn(&str) -> Option<String>) -> Result<(), HandshakeError> {
    if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotAPlugin);
    }
    if let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS") {
        let ok = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
        if !ok {
            return Err(HandshakeError::Protocol { offered });
        }
    }
    Ok(())
}

/// The line go-plugin reads from stdout (without the newline).
pub fn handshake_line(addr: std::net::SocketAddr, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
}

/// The provider's own certificate and key for one run.
pub struct ServerIdentity {
    pub cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// A fresh self-signed certificate for `localhost` (the name go-plugin verifies), ECDSA P-256.
pub fn server_identity() -> Result<ServerIdentity, HandshakeError> {
    let err = |e: rcgen::Error| HandshakeError::Certificate(e.to_string());
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "chainproof terraform provider",
    );
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(30)).into();
    params.not_after = (now + std::time::Duration::from_secs(30 * 24 * 3600)).into();
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(ServerIdentity {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

/// TLS for the gRPC server: our certificate, and a client certificate that must be exactly `client_pem`.
pub fn tls_config(
    identity: &ServerIdentity,
    client_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, HandshakeError> {
    let client = CertificateDer::from_pem_slice(client_pem.as_bytes())
        .map_err(|_| HandshakeError::ClientCert)?
        .into_owned();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedClient {
        cert: client,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HandshakeError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key.clone_key())
        .map_err(|e| HandshakeError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts only the one certificate Terraform generated for this run (go-plugin's AutoMTLS). Terraform's
/// certificate is a self-signed CA certificate used as a leaf, which WebPKI path building rejects, so
/// the check is "same certificate" plus the handshake signature made with its key.
#[derive(Debug)]
struct PinnedClient {
    cert: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClient {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_and_protocol_are_checked() {
        let env = |cookie: &'static str, versions: Option<&'static str>| {
            move |k: &str| match k {
                MAGIC_COOKIE_KEY => Some(cookie.to_owned()),
                "PLUGIN_PROTOCOL_VERSIONS" => versions.map(str::to_owned),
                _ => None,
            }
        };
        assert!(check_env(env(MAGIC_COOKIE_VALUE, Some("5,6"))).is_ok());
        assert!(check_env(env(MAGIC_COOKIE_VALUE, None)).is_ok());
        assert!(matches!(
            check_env(env(MAGIC_COOKIE_VALUE, Some("4,5"))),
            Err(HandshakeError::Protocol { .. })
        ));
        assert!(matches!(
            check_env(env("nope", None)),
            Err(HandshakeError::NotAPlugin)
        ));
        assert!(matches!(
            check_env(|_| None),
            Err(HandshakeError::NotAPlugin)
        ));
    }

    #[test]
    fn handshake_line_has_unpadded_base64_der() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let id = server_identity().expect("identity");
        let addr: std::net::SocketAddr = "127.0.0.1:4242".parse().expect("addr");
        let line = handshake_line(addr, Some(id.cert.as_ref()));
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(&parts[..5], ["1", "6", "tcp", "127.0.0.1:4242", "grpc"]);
        assert!(!parts[5].ends_with('='));
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .expect("base64");
        assert_eq!(der, id.cert.as_ref());
        assert_eq!(handshake_line(addr, None), "1|6|tcp|127.0.0.1:4242|grpc|");
    }

    #[test]
    fn tls_config_needs_a_pem_client_certificate() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let id = server_identity().expect("identity");
        assert!(matches!(
            tls_config(&id, "garbage"),
            Err(HandshakeError::ClientCert)
        ));
        let client = server_identity().expect("client");
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(client.cert.as_ref())
        );
        let config = tls_config(&id, &pem).expect("tls");
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    fn pem(id: &ServerIdentity) -> String {
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(id.cert.as_ref())
        )
    }

    /// The test client trusts any server certificate (go-plugin pins the one from the handshake line;
    /// what is under test here is the server's check of the client).
    #[derive(Debug)]
    struct AnyServer(WebPkiSupportedAlgorithms);

    impl rustls::client::danger::ServerCertVerifier for AnyServer {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &rustls::pki_types::ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_schemes()
        }
    }

    /// AutoMTLS: the server accepts Terraform's certificate and rejects any other client certificate
    /// (a valid, self-signed one with its own key), and a client without one.
    #[tokio::test]
    async fn only_the_pinned_client_certificate_is_accepted() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = server_identity().expect("server");
        let terraform = server_identity().expect("terraform");
        let other = server_identity().expect("other");
        let acceptor =
            tokio_rustls::TlsAcceptor::from(tls_config(&server, &pem(&terraform)).expect("tls"));
        for (client, accepted) in [
            (Some(&terraform), true),
            (Some(&other), false),
            (None, false),
        ] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let acceptor = acceptor.clone();
            let server_side = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.expect("accept");
                acceptor.accept(tcp).await.is_ok()
            });
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServer(
                    provider.signature_verification_algorithms,
                )));
            let mut config = match client {
                Some(id) => builder
                    .with_client_auth_cert(vec![id.cert.clone()], id.key.clone_key())
                    .expect("client cert"),
                None => builder.with_no_client_auth(),
            };
            config.alpn_protocols = vec![b"h2".to_vec()];
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            // With TLS 1.3 the client may finish before the server has judged its certificate.
            let _ = connector.connect(name, tcp).await;
            let ok = tokio::time::timeout(std::time::Duration::from_secs(10), server_side)
                .await
                .expect("the server decides")
                .expect("server task");
            assert_eq!(ok, accepted, "client certificate {:?}", client.is_some());
        }
    }
}
