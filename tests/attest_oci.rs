//! `chainproof sign|attest|verify IMAGE@DIGEST` against a real registry: Debian's `docker-registry`
//! (CNCF distribution 2.8, no referrers API) started on 127.0.0.1 with filesystem storage in a temp
//! dir and stopped by PID, test images built here as OCI layouts and pushed with Debian's `skopeo`,
//! signatures from the local Sigstore stand-in (`sigstore_standin.rs`).
//!
//! Cases: keyless sign by digest -> verify OK; a tag is refused (naming its digest); a wrong identity
//! fails; a signature moved to another image (the referrers tag copied) fails; after `sign` and two
//! `attest` runs (SBOM, provenance) the referrers fallback index lists all three, as skopeo reads it;
//! cosign's `.sig`/`.att` tags as skopeo lists and reads them, and they verify; key signing; a
//! registry with htpasswd auth through a docker config file, the env variables, and neither.
//! A missing tool fails the test with the command that installs it; nothing is skipped.
#![cfg(unix)]

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::sigstore_standin::{
    GITHUB_ENV, IDENTITY, ISSUER, StandIn, WRONG_IDENTITY, hermetic, hex, must, node,
};
use crate::support::stop;

const INSTALL_HINT: &str =
    "run scripts/install-test-tools.sh (apt-get install docker-registry skopeo apache2-utils)";

fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("`{name}` is not on PATH: {INSTALL_HINT}"))
}

// --- the registry --------------------------------------------------------------------------------

/// A running `docker-registry`; dropping it stops the process by PID.
struct Registry {
    child: Child,
    addr: String,
    stderr: PathBuf,
}

impl Registry {
    fn start(work: &Path, name: &str, htpasswd: Option<&Path>) -> Registry {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let addr = format!("127.0.0.1:{port}");
        let dir = work.join(name);
        fs::create_dir_all(dir.join("storage")).expect("test setup");
        let auth = htpasswd
            .map(|h| {
                format!(
                    "auth:\n  htpasswd:\n    realm: chainproof-test\n    path: {}\n",
                    h.display()
                )
            })
            .unwrap_or_default();
        let config = dir.join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: {addr}\n  secret: chainproof-test\n{auth}",
                dir.join("storage").display()
            ),
        )
        .expect("test setup");
        let stderr = dir.join("registry.err");
        let child = Command::new(tool("docker-registry"))
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).expect("test setup"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}; {INSTALL_HINT}"));
        let reg = Registry {
            child,
            addr,
            stderr,
        };
        let start = Instant::now();
        loop {
            if let Ok((status, _, _)) = http(&reg.addr, "GET", "/v2/", &[], &[]) {
                if status == 200 || status == 401 {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "docker-registry did not answer on {}; its stderr:\n{}",
                reg.addr,
                fs::read_to_string(&reg.stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        reg
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Status, headers (lower-case names), body.
type HttpResponse = (u16, Vec<(String, String)>, Vec<u8>);

/// A plain HTTP/1.0 request (no client library): status, headers (lower-case names), body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(req.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers, response[split + 4..].to_vec()))
}

// --- test images -----------------------------------------------------------------------------------

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Writes an OCI layout (one gzip layer, a config, a manifest, index.json, oci-layout) holding one
/// image tagged `tag` whose file says `content`; returns the manifest digest.
fn oci_layout(dir: &Path, tag: &str, content: &str) -> String {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).expect("test setup");
    let put = |bytes: &[u8]| {
        let h = sha256_hex(bytes);
        fs::write(blobs.join(&h), bytes).expect("test setup");
        (format!("sha256:{h}"), bytes.len())
    };
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", content.as_bytes())
        .expect("test setup");
    let tar = tar.into_inner().expect("test setup");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("test setup");
    let layer = gz.finish().expect("test setup");
    let (layer_digest, layer_size) = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(&tar))]},
    }))
    .expect("test setup");
    let (config_digest, config_size) = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}],
    }))
    .expect("test setup");
    let (manifest_digest, manifest_size) = put(&manifest);
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        }))
        .expect("test setup"),
    )
    .expect("test setup");
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("test setup");
    manifest_digest
}

fn skopeo(work: &Path) -> Command {
    let mut cmd = Command::new(tool("skopeo"));
    hermetic(&mut cmd);
    // No system policy or auth file of the machine: accept everything, credentials on the command line.
    cmd.arg("--insecure-policy")
        .env("REGISTRY_AUTH_FILE", work.join("skopeo-auth.json"));
    cmd
}

/// Builds an image and pushes it with skopeo; returns its manifest digest.
fn push_image(
    work: &Path,
    reg: &Registry,
    repo_tag: &str,
    content: &str,
    creds: Option<&str>,
) -> String {
    let (repo, tag) = repo_tag.split_once(':').expect("test setup");
    let layout = work.join(format!(
        "layout-{}-{repo}-{tag}",
        reg.addr.replace(':', "_")
    ));
    let digest = oci_layout(&layout, tag, content);
    let mut cmd = skopeo(work);
    cmd.arg("copy")
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{}/{repo_tag}", reg.addr))
        .arg("--dest-tls-verify=false");
    if let Some(c) = creds {
        cmd.args(["--dest-creds", c]);
    }
    must(&mut cmd, work, &format!("skopeo-push-{repo}-{tag}"));
    digest
}

fn skopeo_raw(work: &Path, reference: &str, creds: Option<&str>) -> Value {
    let mut cmd = skopeo(work);
    cmd.args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"));
    if let Some(c) = creds {
        cmd.args(["--creds", c]);
    }
    let label = format!("skopeo-raw-{}", sha256_hex(reference.as_bytes()));
    must(&mut cmd, work, &label);
    let text = fs::read_to_string(work.join(format!("{label}.out"))).expect("test setup");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("skopeo inspect --raw {reference}: {e}"))
}

fn skopeo_tags(work: &Path, repo: &str) -> Vec<String> {
    let mut cmd = skopeo(work);
    cmd.args(["list-tags", "--tls-verify=false"])
        .arg(format!("docker://{repo}"));
    let label = format!("skopeo-tags-{}", sha256_hex(repo.as_bytes()));
    must(&mut cmd, work, &label);
    let v: Value = serde_json::from_str(
        &fs::read_to_string(work.join(format!("{label}.out"))).expect("test setup"),
    )
    .expect("test setup");
    v["Tags"]
        .as_array()
        .expect("test setup")
        .iter()
        .map(|t| t.as_str().expect("test setup").to_owned())
        .collect()
}

// --- chainproof ------------------------------------------------------------------------------------

/// Runs chainproof hermetically (an empty DOCKER_CONFIG unless `envs` names one); returns the exit
/// code and the output.
fn cp(args: &[&str], envs: &[(&str, &str)], work: &Path, label: &str) -> (i32, String) {
    let no_config = work.join("no-docker-config");
    let mut all = vec![("DOCKER_CONFIG", no_config.to_str().expect("utf-8 path"))];
    all.extend_from_slice(envs);
    let (code, output) = crate::attest::cp(args, &all, work, label);
    println!("{label}: exit {code}");
    (code, output)
}

fn expect(result: (i32, String), code: i32, words: &[&str], what: &str) -> String {
    let (got, out) = result;
    assert_eq!(got, code, "{what}: exit {got}, expected {code}:\n{out}");
    if code != 0 {
        let reason = out
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_default();
        println!("  {what}: {reason}");
    }
    for w in words {
        assert!(out.contains(w), "{what}: output lacks {w:?}:\n{out}");
    }
    out
}

#[test]
fn attest_oci_registry() {
    let tmp = TempDir::new().expect("tempdir");
    let work = tmp.path();
    let standin = StandIn::start(work);
    let token = must(node("token.mjs").current_dir(work), work, "token")
        .trim()
        .to_owned();
    let sc = standin.file("signing_config.json");
    let root = standin.file("trusted_root.json");
    let sc = sc.to_str().unwrap();
    let root = root.to_str().unwrap();
    let keyless = ["--identity-token", token.as_str(), "--signing-config", sc];
    let policy = [
        "--trusted-root",
        root,
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };

    let reg = Registry::start(work, "registry", None);
    let a = push_image(work, &reg, "x:v1", "image a\n", None);
    let b = push_image(work, &reg, "x:v2", "image b\n", None);
    let c = push_image(work, &reg, "x:v3", "image c\n", None);
    let image = |d: &str| format!("{}/x@{d}", reg.addr);
    let (ia, ib, ic) = (image(&a), image(&b), image(&c));

    // Sign by digest, keyless; the distribution registry has no referrers API: fallback tag.
    let v = with(&["sign", &ia], &keyless);
    let out = expect(
        cp(&args(&v), &[], work, "sign-a"),
        0,
        &["referrer (fallback tag sha256-"],
        "sign IMAGE@DIGEST",
    );
    println!("{out}");
    let v = with(&["verify", &ia], &policy);
    expect(
        cp(&args(&v), &[], work, "verify-a"),
        0,
        &["OK referrer", "signature over"],
        "verify the signed image",
    );

    // A tag is refused, naming the digest it resolves to.
    let tagged = format!("{}/x:v1", reg.addr);
    let v = with(&["sign", &tagged], &keyless);
    expect(
        cp(&args(&v), &[], work, "sign-tag"),
        2,
        &["names a tag", &a],
        "sign IMAGE:TAG",
    );
    let v = with(&["attest", "--type", "slsaprovenance1", &tagged], &keyless);
    expect(
        cp(&args(&v), GITHUB_ENV, work, "attest-tag"),
        2,
        &["names a tag"],
        "attest IMAGE:TAG",
    );

    // A wrong identity fails.
    let v = with(
        &["verify", &ia],
        &[
            "--trusted-root",
            root,
            "--certificate-identity",
            WRONG_IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    );
    expect(
        cp(&args(&v), &[], work, "verify-wrong-id"),
        1,
        &["certificate identity"],
        "verify with a wrong identity",
    );

    // Nothing attached: fails.
    let v = with(&["verify", &ib], &policy);
    expect(
        cp(&args(&v), &[], work, "verify-unsigned"),
        1,
        &["no signatures or attestations to verify"],
        "verify an unsigned image",
    );

    // Tampered: image a's referrers index put under image b's referrers tag.
    let tag_a = format!("/v2/x/manifests/{}", a.replace(':', "-"));
    let tag_b = format!("/v2/x/manifests/{}", b.replace(':', "-"));
    let accept = [("Accept", "application/vnd.oci.image.index.v1+json")];
    let (status, _, index_a) = http(&reg.addr, "GET", &tag_a, &accept, &[]).unwrap();
    assert_eq!(status, 200, "GET {tag_a}");
    let ct = [("Content-Type", "application/vnd.oci.image.index.v1+json")];
    let (status, _, body) = http(&reg.addr, "PUT", &tag_b, &ct, &index_a).unwrap();
    assert_eq!(
        status,
        201,
        "PUT {tag_b}: {}",
        String::from_utf8_lossy(&body)
    );
    let v = with(&["verify", &ib], &policy);
    expect(
        cp(&args(&v), &[], work, "verify-moved"),
        1,
        &["FAILED", "NOT VERIFIED", &a],
        "verify image b with image a's signature",
    );
    // cosign's rule for images: once b has a valid signature of its own, a's copied entries are
    // listed as not verifying but do not fail the run.
    let v = with(&["sign", &ib], &keyless);
    expect(
        cp(&args(&v), &[], work, "sign-b"),
        0,
        &["fallback tag"],
        "sign image b",
    );
    let v = with(&["verify", &ib], &policy);
    let out = expect(
        cp(&args(&v), &[], work, "verify-b-mixed"),
        0,
        &["NOT VERIFIED", "OK referrer", "did not verify"],
        "verify image b: one valid signature and copied ones",
    );
    assert_eq!(out.matches("OK referrer").count(), 1, "{out}");

    // Attestations (SBOM, then provenance: two runs) join the signature in the fallback index.
    let sbom = work.join("sbom.cdx.json");
    fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}"#,
    )
    .unwrap();
    let v = with(
        &[
            "attest",
            "--type",
            "cyclonedx",
            "--predicate",
            sbom.to_str().unwrap(),
            &ia,
        ],
        &keyless,
    );
    expect(
        cp(&args(&v), &[], work, "attest-sbom"),
        0,
        &["https://cyclonedx.org/bom", "fallback tag"],
        "attest an SBOM",
    );
    let v = with(&["attest", "--type", "slsaprovenance1", &ia], &keyless);
    expect(
        cp(&args(&v), GITHUB_ENV, work, "attest-provenance"),
        0,
        &["https://slsa.dev/provenance/v1"],
        "attest provenance",
    );
    let index = skopeo_raw(
        work,
        &format!("{}/x:{}", reg.addr, a.replace(':', "-")),
        None,
    );
    println!("referrers index of {a}:\n{index:#}");
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{index:#}");
    let mut kinds: Vec<String> = entries
        .iter()
        .map(|m| {
            assert_eq!(
                m["artifactType"],
                "application/vnd.dev.sigstore.bundle.v0.3+json"
            );
            let ann = &m["annotations"];
            format!(
                "{} {}",
                ann["dev.sigstore.bundle.content"].as_str().unwrap_or("?"),
                ann["dev.sigstore.bundle.predicateType"]
                    .as_str()
                    .unwrap_or("-")
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "dsse-envelope https://cyclonedx.org/bom",
            "dsse-envelope https://slsa.dev/provenance/v1",
            "message-signature -",
        ]
    );
    // Each entry is an artifact manifest whose subject is image a and whose layer is the bundle.
    for m in entries {
        let d = m["digest"].as_str().unwrap();
        let art = skopeo_raw(work, &format!("{}/x@{d}", reg.addr), None);
        assert_eq!(art["subject"]["digest"], a.as_str(), "{art:#}");
        assert_eq!(
            art["config"]["mediaType"],
            "application/vnd.oci.empty.v1+json"
        );
        assert_eq!(
            art["layers"][0]["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
    }
    let v = with(&["verify", &ia], &policy);
    let out = expect(
        cp(&args(&v), &[], work, "verify-a-all"),
        0,
        &[
            "attestation https://cyclonedx.org/bom",
            "attestation https://slsa.dev/provenance/v1",
            "signature over",
        ],
        "verify signature and attestations",
    );
    assert_eq!(out.matches("OK referrer").count(), 3, "{out}");

    // cosign's tag layout, when asked.
    let v = with(&["sign", "--registry-format", "cosign", &ic], &keyless);
    expect(
        cp(&args(&v), &[], work, "sign-cosign"),
        0,
        &["cosign .sig"],
        "sign --registry-format cosign",
    );
    let v = with(
        &[
            "attest",
            "--registry-format",
            "both",
            "--type",
            "slsaprovenance1",
            &ic,
        ],
        &keyless,
    );
    expect(
        cp(&args(&v), GITHUB_ENV, work, "attest-cosign"),
        0,
        &["cosign .att", "fallback tag"],
        "attest --registry-format both",
    );
    let tags = skopeo_tags(work, &format!("{}/x", reg.addr));
    let hex_c = c.trim_start_matches("sha256:");
    for t in [
        format!("sha256-{hex_c}.sig"),
        format!("sha256-{hex_c}.att"),
        format!("sha256-{hex_c}"),
    ] {
        assert!(tags.contains(&t), "tag {t} missing: {tags:?}");
    }
    let sig = skopeo_raw(work, &format!("{}/x:sha256-{hex_c}.sig", reg.addr), None);
    println!(
        "cosign .sig layer: {} with annotations {:?}",
        sig["layers"][0]["mediaType"],
        sig["layers"][0]["annotations"]
            .as_object()
            .map(|a| a.keys().cloned().collect::<Vec<_>>())
    );
    let layer = &sig["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let ann = &layer["annotations"];
    assert!(
        ann["dev.cosignproject.cosign/signature"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        ann["dev.sigstore.cosign/certificate"]
            .as_str()
            .is_some_and(|s| s.starts_with("-----BEGIN CERTIFICATE-----"))
    );
    let rekor: Value =
        serde_json::from_str(ann["dev.sigstore.cosign/bundle"].as_str().unwrap()).unwrap();
    assert!(rekor["SignedEntryTimestamp"].is_string() && rekor["Payload"]["logIndex"].is_u64());
    // The payload names image c.
    let d = layer["digest"].as_str().unwrap();
    let (status, _, payload) =
        http(&reg.addr, "GET", &format!("/v2/x/blobs/{d}"), &[], &[]).unwrap();
    assert_eq!(status, 200);
    let payload: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        c.as_str()
    );
    assert_eq!(
        payload["critical"]["type"],
        "cosign container image signature"
    );
    let att = skopeo_raw(work, &format!("{}/x:sha256-{hex_c}.att", reg.addr), None);
    assert_eq!(
        att["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        att["layers"][0]["annotations"]["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    let v = with(&["verify", &ic], &policy);
    let out = expect(
        cp(&args(&v), &[], work, "verify-c"),
        0,
        &["OK cosign", ".sig layer 0", ".att layer 0", "OK referrer"],
        "verify cosign-layout signatures",
    );
    assert_eq!(out.matches("OK ").count(), 3, "{out}");

    // Image c's cosign .sig manifest copied under another image's .sig tag: its payload names c.
    let f = push_image(work, &reg, "x:v6", "image f\n", None);
    let sig_c = format!("/v2/x/manifests/sha256-{hex_c}.sig");
    let sig_f = format!("/v2/x/manifests/{}.sig", f.replace(':', "-"));
    let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json")];
    let (status, _, sig_manifest) = http(&reg.addr, "GET", &sig_c, &accept, &[]).unwrap();
    assert_eq!(status, 200, "GET {sig_c}");
    let ct = [("Content-Type", "application/vnd.oci.image.manifest.v1+json")];
    let (status, _, body) = http(&reg.addr, "PUT", &sig_f, &ct, &sig_manifest).unwrap();
    assert_eq!(
        status,
        201,
        "PUT {sig_f}: {}",
        String::from_utf8_lossy(&body)
    );
    let v = with(&["verify", &image(&f)], &policy);
    expect(
        cp(&args(&v), &[], work, "verify-copied-sig"),
        1,
        &["NOT VERIFIED", "names the image", &c, "FAILED"],
        "verify image f with image c's .sig layer",
    );

    // With a key (image b: its moved index is replaced by a fresh one... b keeps the bad entries, so
    // use a new image).
    let d = push_image(work, &reg, "keyed:v1", "image d\n", None);
    let id = format!("{}/keyed@{d}", reg.addr);
    let pw = [("CHAINPROOF_PASSWORD", "pw")];
    let prefix = work.join("k");
    expect(
        cp(
            &["key", "generate", "--output", prefix.to_str().unwrap()],
            &pw,
            work,
            "keygen",
        ),
        0,
        &[],
        "key generate",
    );
    let key = work.join("k.key");
    let pubkey = work.join("k.pub");
    expect(
        cp(
            &[
                "sign",
                &id,
                "--key",
                key.to_str().unwrap(),
                "--signing-config",
                sc,
                "--registry-format",
                "both",
            ],
            &pw,
            work,
            "sign-key",
        ),
        0,
        &["cosign .sig", "referrer"],
        "sign --key",
    );
    expect(
        cp(
            &[
                "verify",
                &id,
                "--key",
                pubkey.to_str().unwrap(),
                "--trusted-root",
                root,
            ],
            &[],
            work,
            "verify-key",
        ),
        0,
        &["OK referrer", "OK cosign"],
        "verify --key",
    );
    // The keyed image's signatures are not keyless.
    let v = with(&["verify", &id], &policy);
    expect(
        cp(&args(&v), &[], work, "verify-key-as-keyless"),
        1,
        &["FAILED"],
        "verify a key-signed image as keyless",
    );
    drop(reg);

    // Registry auth (htpasswd, Basic): docker config, env variables, nothing.
    let htpasswd = work.join("htpasswd");
    let mut cmd = Command::new(tool("htpasswd"));
    cmd.args(["-Bbc", htpasswd.to_str().unwrap(), "alice", "s3cret"]);
    must(&mut cmd, work, "htpasswd");
    let areg = Registry::start(work, "registry-auth", Some(&htpasswd));
    let e = push_image(work, &areg, "private:v1", "image e\n", Some("alice:s3cret"));
    let ie = format!("{}/private@{e}", areg.addr);
    let docker_config = work.join("docker-config");
    fs::create_dir_all(&docker_config).unwrap();
    fs::write(
        docker_config.join("config.json"),
        json!({"auths": {areg.addr.clone(): {"auth": base64_encode(b"alice:s3cret")}}}).to_string(),
    )
    .unwrap();
    let dc = [("DOCKER_CONFIG", docker_config.to_str().unwrap())];
    let v = with(&["sign", &ie], &keyless);
    let out = expect(
        cp(&args(&v), &[], work, "sign-auth-none"),
        2,
        &["authentication failed", "CHAINPROOF_REGISTRY_USERNAME"],
        "sign without credentials",
    );
    assert!(!out.contains("s3cret"), "{out}");
    expect(
        cp(&args(&v), &dc, work, "sign-auth-config"),
        0,
        &["fallback tag"],
        "sign with a docker config",
    );
    let v = with(&["verify", &ie], &policy);
    expect(
        cp(
            &args(&v),
            &[
                ("CHAINPROOF_REGISTRY_USERNAME", "alice"),
                ("CHAINPROOF_REGISTRY_PASSWORD", "s3cret"),
                ("CHAINPROOF_REGISTRY", areg.addr.as_str()),
            ],
            work,
            "verify-auth-env",
        ),
        0,
        &["OK referrer"],
        "verify with credentials from the environment",
    );
    let out = expect(
        cp(
            &args(&v),
            &[
                ("CHAINPROOF_REGISTRY_USERNAME", "alice"),
                ("CHAINPROOF_REGISTRY_PASSWORD", "wrong-password"),
                ("CHAINPROOF_REGISTRY", areg.addr.as_str()),
            ],
            work,
            "verify-auth-wrong",
        ),
        2,
        &[
            "authentication failed",
            "CHAINPROOF_REGISTRY_USERNAME/PASSWORD",
        ],
        "verify with a wrong password",
    );
    assert!(!out.contains("wrong-password"), "{out}");
    // Environment credentials are for CHAINPROOF_REGISTRY only: another host's are not sent here.
    let out = expect(
        cp(
            &args(&v),
            &[
                ("CHAINPROOF_REGISTRY_USERNAME", "alice"),
                ("CHAINPROOF_REGISTRY_PASSWORD", "s3cret"),
                ("CHAINPROOF_REGISTRY", "registry.other.example:5000"),
            ],
            work,
            "verify-auth-env-other-host",
        ),
        2,
        &["authentication failed", "no credentials found"],
        "verify with credentials meant for another registry",
    );
    assert!(!out.contains("s3cret"), "{out}");
    // Without CHAINPROOF_REGISTRY the variables are refused, naming it.
    expect(
        cp(
            &args(&v),
            &[
                ("CHAINPROOF_REGISTRY_USERNAME", "alice"),
                ("CHAINPROOF_REGISTRY_PASSWORD", "s3cret"),
            ],
            work,
            "verify-auth-env-no-registry",
        ),
        2,
        &["CHAINPROOF_REGISTRY "],
        "verify with credentials but no CHAINPROOF_REGISTRY",
    );
    // A credential helper is named, not run.
    let helper_config = work.join("helper-config");
    fs::create_dir_all(&helper_config).unwrap();
    fs::write(
        helper_config.join("config.json"),
        r#"{"credsStore": "desktop"}"#,
    )
    .unwrap();
    expect(
        cp(
            &args(&v),
            &[("DOCKER_CONFIG", helper_config.to_str().unwrap())],
            work,
            "verify-auth-helper",
        ),
        2,
        &["credential helper `desktop`", "does not run"],
        "verify with a credential helper configured",
    );
    drop(areg);
    drop(standin);
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
