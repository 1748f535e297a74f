//! Images built in memory with the `tar` crate (no container runtime is needed).

use std::io::Write;

use sha2::{Digest, Sha256};

use super::*;

/// A layer: `(path, contents, mode)`; a `None` content is a directory; contents starting with
/// `->` are symbolic links, with `=>` hard links.
fn layer(files: &[(&str, Option<&[u8]>, u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, contents, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(*mode);
        match contents {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, path, &[][..]).expect("dir");
            }
            Some(c) if c.starts_with(b"=>") => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                let target = std::str::from_utf8(&c[2..]).expect("utf-8");
                b.append_link(&mut h, path, target).expect("link");
            }
            Some(c) if c.starts_with(b"->") => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                let target = std::str::from_utf8(&c[2..]).expect("utf-8");
                b.append_link(&mut h, path, target).expect("link");
            }
            Some(c) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(c.len() as u64);
                b.append_data(&mut h, path, *c).expect("file");
            }
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
    archive::hex(&Sha256::digest(bytes))
}

const DPKG: &str = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDepends: libc6 (>= 2.14)\n\n\
Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u7\n\n\
Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u7\nDepends: libc6, zlib1g\n";

const OS: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";

fn layers() -> Vec<Vec<u8>> {
    let site = "usr/lib/python3/dist-packages";
    vec![
        layer(&[
            ("usr/lib/os-release", Some(OS.as_bytes()), 0o644),
            ("etc/os-release", Some(b"->../usr/lib/os-release"), 0o777),
            ("var/lib/dpkg/status", Some(DPKG.as_bytes()), 0o644),
            (
                &format!("{site}/six-1.16.0.dist-info/METADATA"),
                Some(b"Name: six\nVersion: 1.16.0\n"),
                0o644,
            ),
            (
                &format!("{site}/gone-1.0.dist-info/METADATA"),
                Some(b"Name: gone\nVersion: 1.0\n"),
                0o644,
            ),
            (
                "app/node_modules/old/package.json",
                Some(br#"{"name":"old","version":"0.1.0"}"#),
                0o644,
            ),
        ]),
        layer(&[
            // pip uninstall gone; the app's node_modules replaced wholesale.
            (&format!("{site}/.wh.gone-1.0.dist-info"), Some(b""), 0o644),
            ("app/node_modules", None, 0o755),
            ("app/node_modules/.wh..wh..opq", Some(b""), 0o644),
            (
                "app/node_modules/left-pad/package.json",
                Some(br#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#),
                0o644,
            ),
            (
                "usr/local/bin/server",
                Some(&gobuild::tests::executable()),
                0o755,
            ),
            ("usr/local/bin/script", Some(b"#!/bin/sh\n"), 0o755),
        ]),
    ]
}

#[test]
fn whiteouts_and_opaque_directories() {
    let fs = apply_layers(layers().iter().map(|l| &l[..])).expect("applies");
    let paths: Vec<&str> = fs.nodes.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "app/node_modules/left-pad/package.json",
            "etc/os-release",
            "usr/lib/os-release",
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "usr/local/bin/server",
            "var/lib/dpkg/status",
        ]
    );
    assert_eq!(fs.read("etc/os-release"), Some(OS.as_bytes()));
}

#[test]
fn a_whiteout_only_hides_lower_layers_and_a_file_hides_a_directory() {
    let fs = apply_layers(
        [
            layer(&[("opt/x/node_modules/a/package.json", Some(b"{}"), 0o644)]),
            layer(&[
                // A file where a directory was: everything below it is gone.
                ("opt/x", Some(b"file now"), 0o644),
                // Recreated in the same layer as its whiteout: the new one stays.
                (".wh.var", Some(b""), 0o644),
                ("var/lib/dpkg/status", Some(b"Package: a\n"), 0o644),
            ]),
        ]
        .iter()
        .map(|l| &l[..]),
    )
    .expect("applies");
    assert_eq!(fs.nodes.keys().collect::<Vec<_>>(), ["var/lib/dpkg/status"]);
}

#[test]
fn symlink_loops_are_no_file() {
    let fs = apply_layers(
        [layer(&[
            ("etc/os-release", Some(b"->../usr/lib/os-release"), 0o777),
            ("usr/lib/os-release", Some(b"->../../etc/os-release"), 0o777),
        ])]
        .iter()
        .map(|l| &l[..]),
    )
    .expect("applies");
    assert_eq!(fs.read("etc/os-release"), None);
}

/// An OCI layout directory with a nested index (multi-platform), gzip and zstd layers.
fn oci_layout(dir: &Path, layers: &[Vec<u8>]) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |bytes: &[u8]| {
        let d = sha256(bytes);
        std::fs::write(blobs.join(&d), bytes).expect("blob");
        (format!("sha256:{d}"), bytes.len())
    };
    let mut descs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let blob = if i % 2 == 0 {
            gzip(l)
        } else {
            ruzstd::encoding::compress_to_vec(&l[..], ruzstd::encoding::CompressionLevel::Fastest)
        };
        let (d, size) = put(&blob);
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": size}));
    }
    let (config, csize) =
        put(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": csize}, "layers": descs});
    let (m, msize) = put(manifest.to_string().as_bytes());
    let (arm, _) = put(b"{}");
    let nested = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": 2, "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": msize, "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": 2, "platform": {"os": "unknown", "architecture": "unknown"}}]});
    let (n, nsize) = put(nested.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": n, "size": nsize, "annotations": {"io.containerd.image.name": "ghcr.io/acme/web:2.1", "org.opencontainers.image.ref.name": "2.1"}}]});
    std::fs::write(dir.join("index.json"), index.to_string()).expect("index");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("layout");
    m
}

#[test]
fn oci_layout_end_to_end() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let manifest = oci_layout(tmp.path(), &layers());
    let sbom = inventory(tmp.path()).expect("reads");
    assert_eq!(
        sbom.root.purl,
        format!(
            // The packageurl crate leaves `:` in the version and encodes `/` in qualifiers.
            "pkg:oci/web@{manifest}?arch=amd64&repository_url=ghcr.io%2Facme%2Fweb&tag=2.1"
        )
    );
    let purls: Vec<&str> = sbom.components.keys().map(String::as_str).collect();
    assert_eq!(
        purls,
        [
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u7?arch=amd64&distro=debian-12",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12",
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
            "pkg:golang/example.com/svc@v1.4.0",
            "pkg:golang/github.com/google/uuid@v1.6.0",
            "pkg:golang/golang.org/x/net@v0.26.0",
            "pkg:golang/stdlib@v1.22.4",
            "pkg:npm/left-pad@1.3.0",
            "pkg:pypi/six@1.16.0",
        ]
    );
    assert!(sbom.errors.is_empty(), "{:?}", sbom.errors);
    let curl = &sbom.edges["pkg:deb/debian/curl@7.88.1-10%2Bdeb12u7?arch=amd64&distro=debian-12"];
    assert_eq!(curl.len(), 2);
    assert_eq!(sbom.edges[&sbom.root.purl].len(), 6);
}

#[test]
fn corrupt_layers_name_the_layer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    oci_layout(tmp.path(), &layers());
    // Flip a byte in the first (gzip) layer: the digest check or gzip's CRC catches it.
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("index.json")).expect("index"),
    )
    .expect("json");
    let _ = index;
    let blobs = tmp.path().join("blobs/sha256");
    let mut biggest = None;
    for e in std::fs::read_dir(&blobs).expect("blobs").flatten() {
        let bytes = std::fs::read(e.path()).expect("blob");
        if bytes.starts_with(&[0x1f, 0x8b]) {
            biggest = Some((e.path(), bytes));
        }
    }
    let (path, mut bytes) = biggest.expect("a gzip layer");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).expect("write");
    let e = inventory(tmp.path()).expect_err("corrupt");
    assert!(e.message.starts_with("layer 1 (sha256:"), "{e}");
    // A missing blob is named too.
    std::fs::remove_file(&path).expect("rm");
    let e = inventory(tmp.path()).expect_err("missing");
    assert!(
        e.message.contains("is missing") || e.message.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn docker_save_tarball_with_an_rpm_database() {
    let l1 = layer(&[
        (
            "etc/os-release",
            Some(b"ID=\"rhel\"\nVERSION_ID=\"9.4\"\n"),
            0o644,
        ),
        (
            "var/lib/rpm/rpmdb.sqlite",
            Some(b"SQLite format 3\0"),
            0o644,
        ),
    ]);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_name = format!("{}.json", sha256(config));
    let manifest = serde_json::json!([{"Config": config_name, "RepoTags": ["registry.example.com:5000/team/ubi:9"], "Layers": ["abc/layer.tar", "def/layer.tar"]}]);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, bytes).expect("append");
    };
    add("abc/layer.tar", &l1);
    add(&config_name, config);
    add("manifest.json", manifest.to_string().as_bytes());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "def/layer.tar", "../abc/layer.tar")
        .expect("link");
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("ubi.tar");
    std::fs::write(&file, b.into_inner().expect("tar")).expect("write");
    let sbom = inventory(&file).expect("reads");
    assert_eq!(
        sbom.root.purl,
        format!(
            "pkg:oci/ubi@sha256:{}?arch=amd64&repository_url=registry.example.com:5000%2Fteam%2Fubi&tag=9",
            sha256(config)
        )
    );
    assert!(sbom.components.is_empty());
    assert_eq!(sbom.errors.len(), 1);
    assert_eq!(sbom.errors[0].file, "/var/lib/rpm/rpmdb.sqlite");
    assert!(sbom.errors[0].message.starts_with("rpm database not read"));
}

#[test]
fn references() {
    assert_eq!(
        parse_ref("nginx:1.27"),
        Some(("docker.io/library/nginx".into(), Some("1.27".into())))
    );
    assert_eq!(
        parse_ref("localhost:5000/app"),
        Some(("localhost:5000/app".into(), None))
    );
    assert_eq!(
        parse_ref("bitnami/redis:7@sha256:abc"),
        Some(("docker.io/bitnami/redis".into(), Some("7".into())))
    );
}

#[test]
fn garbage_never_panics() {
    let good = gzip(&layers()[0]);
    for cut in (0..good.len()).step_by(97) {
        let _ = apply_layers([&good[..cut]]);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("x.tar");
    std::fs::write(&f, b"not a tarball at all, just text").expect("write");
    assert!(inventory(&f).is_err());
}

/// `uv pip install --system` and pnpm install through hard links into their caches: the tar
/// stream has the cache's file first, the installed path as a hard link to it.
fn uv_layer() -> Vec<u8> {
    let cache = "root/.cache/uv/archive-v0/Xb3/six-1.16.0.dist-info/METADATA";
    let site = "usr/local/lib/python3.12/site-packages";
    layer(&[
        (
            cache,
            Some(b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"),
            0o644,
        ),
        (
            &format!("{site}/six-1.16.0.dist-info/METADATA"),
            Some(format!("=>{cache}").as_bytes()),
            0o644,
        ),
        (
            "app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json",
            Some(b"=>root/.local/share/pnpm/store/v3/files/ab/cdef-index"),
            0o644,
        ),
    ])
}

#[test]
fn hard_links_into_unkept_caches_are_read_by_a_second_pass() {
    let fs = apply_layers([&uv_layer()[..]]).expect("applies");
    assert_eq!(
        fs.read("usr/local/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA"),
        Some(&b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"[..])
    );
    assert!(fs.pending.is_empty());

    // End to end: the package is listed; a link whose target is not in the layer is an error
    // naming the file, not silently dropped.
    let tmp = tempfile::tempdir().expect("tempdir");
    oci_layout(tmp.path(), &[uv_layer()]);
    let sbom = inventory(tmp.path()).expect("reads");
    assert!(sbom.components.contains_key("pkg:pypi/six@1.16.0"));
    assert_eq!(sbom.errors.len(), 1, "{:?}", sbom.errors);
    assert_eq!(
        sbom.errors[0].file,
        "/app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"
    );
    assert!(
        sbom.errors[0]
            .message
            .contains("a hard link to /root/.local/share/pnpm/store/v3/files/ab/cdef-index"),
        "{}",
        sbom.errors[0]
    );
}

#[test]
fn hard_links_share_their_target() {
    let status = DPKG.as_bytes();
    let mut files: Vec<(String, Option<Vec<u8>>, u32)> =
        vec![("var/lib/dpkg/status".into(), Some(status.to_vec()), 0o644)];
    for i in 0..1000 {
        files.push((
            format!("var/lib/dpkg/status.d/link{i}"),
            Some(b"=>var/lib/dpkg/status".to_vec()),
            0o644,
        ));
    }
    let refs: Vec<(&str, Option<&[u8]>, u32)> = files
        .iter()
        .map(|(p, c, m)| (p.as_str(), c.as_deref(), *m))
        .collect();
    let fs = apply_layers([&layer(&refs)[..]]).expect("applies");
    assert_eq!(fs.nodes.len(), 1001);
    // 1000 links to a file cost nothing more than the file.
    assert_eq!(fs.kept_bytes(), status.len() as u64);
    let Some(Node::File(_, original)) = fs.nodes.get("var/lib/dpkg/status") else {
        panic!("kept")
    };
    let Some(Node::File(kind, linked)) = fs.nodes.get("var/lib/dpkg/status.d/link999") else {
        panic!("kept")
    };
    assert_eq!(*kind, Kind::DpkgStatus);
    assert!(std::sync::Arc::ptr_eq(original, linked));
}

#[test]
fn decompressed_bytes_are_capped_per_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = layer(&[(
        "var/lib/dpkg/status",
        Some(&DPKG.repeat(2000).into_bytes()[..]),
        0o644,
    )]);
    let small = layers().remove(0);
    oci_layout(tmp.path(), &[small.clone(), big.clone()]);
    let budget = (small.len() + big.len() / 2) as u64;
    let e = inventory_within(tmp.path(), budget).expect_err("over the cap");
    assert!(e.message.starts_with("layer 2 (sha256:"), "{e}");
    assert!(
        e.message.contains("decompressed from the image's layers"),
        "{e}"
    );
    // Within the budget the same image reads.
    let enough = (small.len() + big.len()) as u64 + 4096;
    inventory_within(tmp.path(), enough).expect("reads");
}

#[test]
fn a_platform_whose_manifest_is_in_the_store_wins() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let manifest = oci_layout(tmp.path(), &layers());
    // Rewrite the index: linux/amd64 names a manifest that is not in the store (a containerd
    // `docker save` of an arm64 machine), linux/arm64 is the one saved.
    let blobs = tmp.path().join("blobs/sha256");
    let absent = format!("sha256:{}", "0".repeat(64));
    let nested = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": absent, "size": 2, "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": 2, "platform": {"os": "linux", "architecture": "arm64"}}]});
    let nested = nested.to_string();
    let n = sha256(nested.as_bytes());
    std::fs::write(blobs.join(&n), &nested).expect("blob");
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{n}"), "size": nested.len()}]});
    std::fs::write(tmp.path().join("index.json"), index.to_string()).expect("index");
    let sbom = inventory(tmp.path()).expect("reads the saved platform");
    assert!(sbom.root.purl.contains(&manifest), "{}", sbom.root.purl);
    assert!(sbom.components.contains_key("pkg:pypi/six@1.16.0"));
}

#[test]
fn a_byte_order_mark_is_no_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bom_json = b"\xef\xbb\xbf{\"name\":\"bom\",\"version\":\"1.0.0\"}";
    oci_layout(
        tmp.path(),
        &[layer(&[(
            "app/node_modules/bom/package.json",
            Some(&bom_json[..]),
            0o644,
        )])],
    );
    // index.json written by a Windows tool.
    let index = std::fs::read(tmp.path().join("index.json")).expect("index");
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend(index);
    std::fs::write(tmp.path().join("index.json"), with_bom).expect("index");
    let sbom = inventory(tmp.path()).expect("reads");
    assert!(sbom.errors.is_empty(), "{:?}", sbom.errors);
    assert!(sbom.components.contains_key("pkg:npm/bom@1.0.0"));
}
