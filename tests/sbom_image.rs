//! `chainproof sbom --image` end to end. No container runtime is installed here, so the images are
//! built in the tests with the `tar` crate from the files in `tests/fixtures/sbom-images/` (a dpkg
//! status trimmed from a Debian 12 machine, a real Alpine 3.18 apk database, real wheel METADATA,
//! a real `npm install` tree): a `docker save` tarball and an OCI layout, three layers each, with
//! a whiteout and an opaque directory. The documents are checked by the same validators as
//! `tests/sbom.rs` (cyclonedx-python-lib's strict JSON validator, pyspdxtools).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::sbom::{components, depends_on, property};
use crate::support::{chainproof, fixtures, root};

fn images() -> PathBuf {
    fixtures().join("sbom-images")
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(images().join(rel)).expect("fixture")
}

/// One file of a layer: path, contents, mode. An empty path component list is not allowed.
struct F {
    path: String,
    data: Vec<u8>,
    mode: u32,
    symlink: bool,
}

fn file(path: &str, data: impl Into<Vec<u8>>) -> F {
    F {
        path: path.into(),
        data: data.into(),
        mode: 0o644,
        symlink: false,
    }
}

fn exe(path: &str, data: Vec<u8>) -> F {
    F {
        mode: 0o755,
        ..file(path, data)
    }
}

fn symlink(path: &str, target: &str) -> F {
    F {
        symlink: true,
        ..file(path, target.as_bytes())
    }
}

/// Every file under a fixture directory, placed at `dest` in the image.
fn tree(src: &str, dest: &str) -> Vec<F> {
    fn walk(dir: &Path, base: &Path, dest: &str, out: &mut Vec<F>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, dest, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(file(
                    &format!("{dest}/{rel}"),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    let base = images().join(src);
    walk(&base, &base, dest, &mut out);
    out
}

fn layer(files: &[F]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for f in files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(f.mode);
        h.set_mtime(0);
        if f.symlink {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, &f.path, String::from_utf8_lossy(&f.data).as_ref())
                .expect("link");
        } else {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(f.data.len() as u64);
            b.append_data(&mut h, &f.path, &f.data[..]).expect("file");
        }
    }
    b.into_inner().expect("tar")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Go build information as the Go 1.18+ linker writes it (`\xff Go buildinf:`, pointer size,
/// flags = 2 "inline", then the version and module text as varint-prefixed strings, the module
/// text between 16-byte sentinels), inside an ELF-looking executable. No Go toolchain is
/// installed here to build a real binary.
fn go_binary(version: &str, modinfo: &str) -> Vec<u8> {
    fn put(b: &mut Vec<u8>, s: &[u8]) {
        let mut n = s.len();
        while n >= 0x80 {
            b.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        b.push(n as u8);
        b.extend_from_slice(s);
    }
    let mut b = b"\x7fELF\x02\x01\x01\x00".to_vec();
    b.resize(8192, 0x90);
    b.extend_from_slice(b"\xff Go buildinf:");
    b.extend_from_slice(&[8, 2]);
    b.resize(8192 + 32, 0);
    put(&mut b, version.as_bytes());
    let mut m = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
    m.extend_from_slice(modinfo.as_bytes());
    m.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
    put(&mut b, &m);
    b.resize(b.len() + 4096, 0);
    b
}

const MODINFO: &str = "path\tgithub.com/acme/api/cmd/api\n\
mod\tgithub.com/acme/api\tv0.3.1\th1:Qx8sCq6PyGb0pk0tRCYv4ayYMbXnbGmEoLtL2dWa9cA=\n\
dep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n\
dep\tgolang.org/x/sys\tv0.20.0\th1:Od9JTbYCk261bKm4M/mw7AklTlFYIa0bIp9BgSm1S8Y=\n\
build\t-compiler=gc\n\
build\tGOOS=linux\n";

const SITE: &str = "usr/local/lib/python3.11/site-packages";

/// Three layers: the Debian base; the application (Python packages, a Node app with its
/// lockfile and node_modules, a Go server, a tool in /opt); then `pip uninstall urllib3` (a
/// whiteout) and the tool directory replaced (an opaque directory).
fn debian_layers() -> Vec<Vec<u8>> {
    let mut base = vec![
        file("usr/lib/os-release", fixture("os-release-debian-12")),
        symlink("etc/os-release", "../usr/lib/os-release"),
        file("var/lib/dpkg/status", fixture("dpkg-status")),
    ];
    base.push(file(
        "var/lib/dpkg/status-old",
        b"Package: stale\n".to_vec(),
    ));
    let mut app = tree("site-packages", SITE);
    app.extend(tree("app", "app"));
    app.push(exe("usr/local/bin/api", go_binary("go1.22.4", MODINFO)));
    app.push(exe(
        "usr/local/bin/entrypoint.sh",
        b"#!/bin/sh\nexec api\n".to_vec(),
    ));
    app.push(file(
        "opt/tool/node_modules/left-pad/package.json",
        br#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#.to_vec(),
    ));
    let cleanup = vec![
        file(&format!("{SITE}/.wh.urllib3-2.2.2.dist-info"), Vec::new()),
        file("opt/tool/.wh..wh..opq", Vec::new()),
        file("opt/tool/README", b"replaced\n".to_vec()),
    ];
    vec![layer(&base), layer(&app), layer(&cleanup)]
}

/// A `docker save` tarball as Docker before 25 wrote it: `<id>/layer.tar` (uncompressed),
/// `<config digest>.json`, `manifest.json`, `repositories`.
fn docker_save(out: &Path, layers: &[Vec<u8>], tag: &str, arch: &str) -> String {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256(l)))
        .collect();
    let config = serde_json::json!({"architecture": arch, "os": "linux",
        "config": {"Entrypoint": ["/usr/local/bin/entrypoint.sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}})
    .to_string();
    let config_hex = sha256(config.as_bytes());
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).expect("append");
    };
    let mut names = Vec::new();
    for l in layers {
        let name = format!("{}/layer.tar", sha256(l));
        add(&name, l);
        names.push(name);
    }
    add(&format!("{config_hex}.json"), config.as_bytes());
    let manifest = serde_json::json!([{"Config": format!("{config_hex}.json"), "RepoTags": [tag], "Layers": names}]);
    add("manifest.json", manifest.to_string().as_bytes());
    std::fs::write(out, b.into_inner().expect("tar")).expect("write");
    config_hex
}

/// An OCI image layout directory: gzip layers, `index.json` naming the image.
fn oci_layout(dir: &Path, layers: &[Vec<u8>], name: &str) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |bytes: &[u8]| {
        let d = sha256(bytes);
        std::fs::write(blobs.join(&d), bytes).expect("blob");
        (format!("sha256:{d}"), bytes.len())
    };
    let layer_descs: Vec<Value> = layers
        .iter()
        .map(|l| {
            let (d, size) = put(&gzip(l));
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": size})
        })
        .collect();
    let (config, csize) =
        put(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": csize},
        "layers": layer_descs});
    let (m, msize) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": msize,
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "1.0"}}]});
    std::fs::write(dir.join("index.json"), index.to_string()).expect("index");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
    m
}

fn run(image: &Path, format: &str) -> (String, String, i32) {
    let out = chainproof(&root())
        .args(["sbom", "--image"])
        .arg(image)
        .args(["--format", format])
        .arg("--deterministic")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("runs");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The purls every Debian image here must list: the 28 dpkg packages, 4 Python distributions
/// (urllib3 was uninstalled), the npm app (lockfile root and packages) and the Go program.
fn expected_debian_purls() -> Vec<String> {
    let status = String::from_utf8(fixture("dpkg-status")).expect("utf-8");
    let mut purls: Vec<String> = Vec::new();
    for stanza in status.split("\n\n") {
        let get = |k: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                .expect("field")
        };
        // The purl spec's encoding of `+` in versions; `:` (epochs) stays.
        purls.push(format!(
            "pkg:deb/debian/{}@{}?arch={}&distro=debian-12",
            get("Package"),
            get("Version").replace('+', "%2B"),
            get("Architecture")
        ));
    }
    assert_eq!(purls.len(), 28);
    purls.extend(
        [
            "pkg:pypi/requests@2.32.3",
            "pkg:pypi/certifi@2024.7.4",
            "pkg:pypi/charset-normalizer@3.3.2",
            "pkg:pypi/idna@3.7",
            "pkg:npm/image-app@1.0.0",
            "pkg:npm/debug@4.3.4",
            "pkg:npm/ms@2.1.2",
            "pkg:npm/ms@2.1.3",
            "pkg:golang/github.com/acme/api@v0.3.1",
            "pkg:golang/github.com/google/uuid@v1.6.0",
            "pkg:golang/golang.org/x/sys@v0.20.0",
            "pkg:golang/stdlib@v1.22.4",
        ]
        .map(String::from),
    );
    purls.sort();
    purls
}

#[test]
fn docker_save_tarball_of_a_debian_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tarball = tmp.path().join("api.tar");
    let config = docker_save(
        &tarball,
        &debian_layers(),
        "registry.example.com/acme/api:1.4",
        "amd64",
    );
    let (text, stderr, code) = run(&tarball, "cyclonedx-json");
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let root = &doc["metadata"]["component"];
    assert_eq!(root["type"], "container");
    assert_eq!(
        root["purl"],
        format!(
            "pkg:oci/api@sha256:{config}?arch=amd64&repository_url=registry.example.com%2Facme%2Fapi&tag=1.4"
        )
    );
    assert_eq!(
        property(root, "chainproof:os"),
        Some("Debian GNU/Linux 12 (bookworm)")
    );
    let c = components(&doc);
    assert_eq!(
        c.keys().cloned().collect::<Vec<_>>(),
        expected_debian_purls()
    );

    let libc6 = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12";
    assert_eq!(
        property(&c[libc6], "chainproof:source-package"),
        Some("glibc")
    );
    assert_eq!(
        c[libc6]["evidence"]["occurrences"][0]["location"],
        "/var/lib/dpkg/status"
    );
    let bash = "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12";
    assert_eq!(
        property(&c[bash], "chainproof:source-version"),
        Some("5.2.15-2")
    );
    // Depends and Pre-Depends, `awk` through mawk's Provides.
    assert_eq!(
        depends_on(&doc, bash),
        [
            "pkg:deb/debian/base-files@12.4%2Bdeb12u11?arch=amd64&distro=debian-12",
            "pkg:deb/debian/debianutils@5.7-0.5~deb12u1?arch=amd64&distro=debian-12",
            libc6,
            "pkg:deb/debian/libtinfo6@6.4-4?arch=amd64&distro=debian-12",
        ]
    );
    assert_eq!(
        depends_on(
            &doc,
            "pkg:deb/debian/base-files@12.4%2Bdeb12u11?arch=amd64&distro=debian-12"
        ),
        ["pkg:deb/debian/mawk@1.3.4.20200120-3.1?arch=amd64&distro=debian-12"]
    );
    // The whiteout removed urllib3, so requests depends on the three others only.
    assert_eq!(
        depends_on(&doc, "pkg:pypi/requests@2.32.3"),
        [
            "pkg:pypi/certifi@2024.7.4",
            "pkg:pypi/charset-normalizer@3.3.2",
            "pkg:pypi/idna@3.7"
        ]
    );
    assert_eq!(
        c["pkg:pypi/requests@2.32.3"]["licenses"][0]["expression"],
        "Apache-2.0"
    );
    // node_modules resolution: debug's own nested ms.
    assert_eq!(
        depends_on(&doc, "pkg:npm/debug@4.3.4"),
        ["pkg:npm/ms@2.1.2"]
    );
    let ms = &c["pkg:npm/ms@2.1.3"]["evidence"]["occurrences"];
    let locations: Vec<&str> = ms
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|o| o["location"].as_str())
        .collect();
    assert_eq!(
        locations,
        [
            "/app/node_modules/ms/package.json",
            "/app/package-lock.json"
        ]
    );
    // The Go program: main module under the image, its modules under it.
    let api = "pkg:golang/github.com/acme/api@v0.3.1";
    assert!(depends_on(&doc, root["bom-ref"].as_str().expect("ref")).contains(&api.to_string()));
    assert_eq!(
        depends_on(&doc, api),
        [
            "pkg:golang/github.com/google/uuid@v1.6.0",
            "pkg:golang/golang.org/x/sys@v0.20.0",
            "pkg:golang/stdlib@v1.22.4"
        ]
    );
    assert_eq!(
        property(&c[api], "chainproof:go-toolchain"),
        Some("go1.22.4")
    );
    assert_eq!(
        property(
            &c["pkg:golang/github.com/google/uuid@v1.6.0"],
            "chainproof:go-sum-h1"
        ),
        Some("h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=")
    );

    // The same image as an OCI layout (gzip layers): the same packages, the manifest digest.
    let oci = tmp.path().join("oci");
    let manifest = oci_layout(&oci, &debian_layers(), "docker.io/acme/api:1.0");
    let (text, stderr, code) = run(&oci, "cyclonedx-json");
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        doc["metadata"]["component"]["purl"],
        format!("pkg:oci/api@{manifest}?arch=amd64&repository_url=docker.io%2Facme%2Fapi&tag=1.0")
    );
    assert_eq!(
        components(&doc).keys().cloned().collect::<Vec<_>>(),
        expected_debian_purls()
    );
}

#[test]
fn alpine_apk_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tarball = tmp.path().join("alpine.tar");
    let os =
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n";
    docker_save(
        &tarball,
        &[layer(&[
            file("etc/os-release", os),
            file("lib/apk/db/installed", fixture("apk-installed")),
        ])],
        "alpine:3.18",
        "arm64",
    );
    let (text, stderr, code) = run(&tarball, "cyclonedx-json");
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let c = components(&doc);
    let mut names: Vec<&str> = c.values().filter_map(|v| v["name"].as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alpine-baselayout",
            "alpine-baselayout-data",
            "libssl3",
            "musl",
            "musl-utils",
            "scanelf",
            "ssl_client",
            "zlib"
        ]
    );
    let musl = &c["pkg:apk/alpine/musl@1.2.4-r1?arch=aarch64&distro=alpine-3.18.4"];
    assert_eq!(musl["licenses"][0]["expression"], "MIT");
    // C:Q1VciVehQwKlHzJI0nfN7QbxBneOU= is base64 of the SHA-1 of the package's control
    // segment, not of the .apk: a property, not a component hash.
    assert!(musl.get("hashes").is_none(), "{musl}");
    assert_eq!(
        property(musl, "chainproof:apk-control-sha1"),
        Some("55c8957a14302a51f3248d277cded06f106778e5")
    );
    assert_eq!(
        property(
            &c["pkg:apk/alpine/alpine-baselayout-data@3.4.3-r1?arch=aarch64&distro=alpine-3.18.4"],
            "chainproof:source-package"
        ),
        Some("alpine-baselayout")
    );
    // D:scanelf so:libc.musl-aarch64.so.1 -> scanelf and musl (through its p: provides).
    assert_eq!(
        depends_on(
            &doc,
            "pkg:apk/alpine/musl-utils@1.2.4-r1?arch=aarch64&distro=alpine-3.18.4"
        ),
        [
            "pkg:apk/alpine/musl@1.2.4-r1?arch=aarch64&distro=alpine-3.18.4",
            "pkg:apk/alpine/scanelf@1.3.7-r1?arch=aarch64&distro=alpine-3.18.4"
        ]
    );
    assert_eq!(
        doc["metadata"]["component"]["purl"]
            .as_str()
            .map(|p| p.contains("repository_url=docker.io%2Flibrary%2Falpine&tag=3.18")),
        Some(true)
    );
}

#[test]
fn an_rpm_database_is_reported_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tarball = tmp.path().join("ubi.tar");
    docker_save(
        &tarball,
        &[layer(&[
            file("etc/os-release", "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n"),
            file(
                "usr/lib/sysimage/rpm/rpmdb.sqlite",
                b"SQLite format 3\0".to_vec(),
            ),
        ])],
        "registry.access.redhat.com/ubi9/ubi:9.4",
        "amd64",
    );
    let (text, stderr, code) = run(&tarball, "cyclonedx-json");
    assert_eq!(code, 2, "fails closed: {stderr}");
    assert!(
        stderr.contains("error: /usr/lib/sysimage/rpm/rpmdb.sqlite: rpm database not read"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_str(&text).expect("the SBOM is still written");
    assert_eq!(
        doc["metadata"]["properties"][0]["name"],
        "chainproof:unreadable"
    );
    assert!(
        doc["metadata"]["properties"][0]["value"]
            .as_str()
            .is_some_and(|v| v.contains("rpm database not read"))
    );
}

#[test]
fn a_corrupt_layer_names_the_file_and_the_layer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let layers = debian_layers();
    let mut broken = gzip(&layers[1]);
    broken.truncate(broken.len() / 2);
    let tarball = tmp.path().join("broken.tar");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).expect("append");
    };
    add("l1/layer.tar", &layers[0]);
    add("l2/layer.tar", &broken);
    add("config.json", b"{}");
    add(
        "manifest.json",
        br#"[{"Config":"config.json","RepoTags":null,"Layers":["l1/layer.tar","l2/layer.tar"]}]"#,
    );
    std::fs::write(&tarball, b.into_inner().expect("tar")).expect("write");
    let (stdout, stderr, code) = run(&tarball, "cyclonedx-json");
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    let path = tarball.display().to_string();
    assert!(
        stderr.contains(&format!(
            "error: {path}: layer 2 (l2/layer.tar): gzip: corrupt tar stream"
        )),
        "{stderr}"
    );
    // `docker save | gzip`: blobs are read in place, so it must be decompressed first.
    let gz = tmp.path().join("api.tar.gz");
    docker_save(&tarball, &layers, "acme/api:1", "amd64");
    std::fs::write(&gz, gzip(&std::fs::read(&tarball).expect("read"))).expect("write");
    let (_, stderr, code) = run(&gz, "cyclonedx-json");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a compressed tarball: decompress it first"),
        "{stderr}"
    );
    // Not an image at all.
    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, b"hello").expect("write");
    let (_, stderr, code) = run(&junk, "cyclonedx-json");
    assert_eq!(code, 2);
    assert!(stderr.contains(&junk.display().to_string()), "{stderr}");
}

fn tool(path: &str) -> PathBuf {
    let p = root().join(path);
    assert!(
        p.exists(),
        "the SBOM validator {} is missing: run `bash scripts/install-test-tools.sh`",
        p.display()
    );
    p
}

#[test]
fn image_documents_pass_the_validators_and_are_reproducible() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tarball = tmp.path().join("api.tar");
    docker_save(&tarball, &debian_layers(), "acme/api:1.4", "amd64");
    let (cdx, _, code) = run(&tarball, "cyclonedx-json");
    assert_eq!(code, 0);
    assert_eq!(run(&tarball, "cyclonedx-json").0, cdx, "not reproducible");
    let (spdx, _, code) = run(&tarball, "spdx-json");
    assert_eq!(code, 0);
    assert_eq!(run(&tarball, "spdx-json").0, spdx, "not reproducible");
    let spdx_doc: Value = serde_json::from_str(&spdx).expect("JSON");
    assert_eq!(
        spdx_doc["packages"][0]["primaryPackagePurpose"],
        "CONTAINER"
    );

    let cdx_file = tmp.path().join("image.cdx.json");
    std::fs::write(&cdx_file, &cdx).expect("write");
    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
if error is not None:
    print(repr(error))
    sys.exit(1)
"#;
    let out = Command::new(tool(".tools/venv/bin/python"))
        .arg("-c")
        .arg(script)
        .arg(&cdx_file)
        .output()
        .expect("runs python");
    assert!(
        out.status.success(),
        "CycloneDX validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let spdx_file = tmp.path().join("image.spdx.json");
    std::fs::write(&spdx_file, &spdx).expect("write");
    let out = Command::new(tool(".tools/bin/pyspdxtools"))
        .arg("-i")
        .arg(&spdx_file)
        .output()
        .expect("runs pyspdxtools");
    assert!(
        out.status.success(),
        "SPDX validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `chainproof scan --image`: the image's OS packages are matched by source package (libc6 ->
/// glibc) against a Debian 12 database.
#[test]
fn scan_of_an_image_matches_debian_source_packages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tarball = tmp.path().join("api.tar");
    docker_save(&tarball, &debian_layers(), "acme/api:1.4", "amd64");
    let db = tmp.path().join("db");
    let record = r#"{"id":"DSA-9000-1","modified":"2024-01-01T00:00:00Z","summary":"glibc security update","affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u99"}]}]}]}"#;
    crate::scan::write_zip(&db, "Debian", &[("DSA-9000-1.json", record)]);
    let out = chainproof(&root())
        .args(["scan", "--image"])
        .arg(&tarball)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let findings: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or(""),
                f["purl"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        findings
            .iter()
            .any(|(id, purl)| *id == "DSA-9000-1" && purl.starts_with("pkg:deb/debian/libc6@")),
        "{findings:?}"
    );
}
