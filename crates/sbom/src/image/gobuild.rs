//! Go build information in executables (what `go version -m` prints), found by streaming the file.
//!
//! Since Go 1.18 the linker writes a 32-byte header starting with the magic `\xff Go buildinf:`,
//! then the pointer size (byte 14) and flags (byte 15). With flag bit 2 ("version inline") the Go
//! version and the module information follow the header as two strings, each prefixed with its
//! length as an unsigned varint. The module information is text wrapped in two 16-byte
//! sentinels: `path\t<main package>`, `mod\t<module>\t<version>\t<sum>`, `dep\t<module>\t<version>\t<sum>`
//! lines, `=>\t<module>\t<version>\t<sum>` after a replaced one, and `build\t...` settings.
//! Older binaries point at the strings through virtual addresses instead; those are reported as
//! not read rather than guessed.

use std::io::{self, Read};

use memchr::memmem;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const FLAG_VERSION_INLINE: u8 = 2;
/// Bytes kept after a match: enough for the header and the module text of very large programs.
const WINDOW: usize = 1 << 20;

/// One module of a Go program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    /// The go.sum hash (`h1:<base64 sha256>`), when recorded.
    pub sum: Option<String>,
    /// The module this one was replaced with (`=>` line), when any.
    pub replaced_by: Option<Box<Module>>,
}

/// The build information of one Go executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The toolchain, `go1.22.4`.
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: String,
    /// The main module (`mod` line); absent for `go run`/`command-line-arguments` builds.
    pub main: Option<Module>,
    pub deps: Vec<Module>,
}

/// What searching an executable found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// No Go build information: not a Go program.
    NotGo,
    Found(BuildInfo),
    /// A Go program whose build information chainproof cannot read (the reason).
    Unreadable(String),
}

/// The linker aligns the build-information header to 16 bytes from the start of the file's
/// section, and sections start aligned: a magic string elsewhere (a constant in a tool that reads
/// Go binaries) is rarely aligned and is not a candidate.
const ALIGN: u64 = 16;
/// Aligned matches parsed at most: a file full of the magic string costs bounded work.
const MAX_CANDIDATES: usize = 16;

/// Search `r` (an executable's bytes, whatever its size: the search streams in bounded memory)
/// for Go build information.
pub fn scan(mut r: impl Read) -> io::Result<Scan> {
    let mut buf: Vec<u8> = Vec::with_capacity(2 * WINDOW);
    let mut chunk = vec![0u8; 64 * 1024];
    // The file offset of `buf[0]`.
    let mut base: u64 = 0;
    let mut eof = false;
    let mut from = 0;
    let mut candidates = 0;
    let mut unreadable: Option<String> = None;
    loop {
        while !eof && buf.len() < 2 * WINDOW {
            let n = r.read(&mut chunk)?;
            if n == 0 {
                eof = true;
            } else {
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
        }
        let hit = buf
            .get(from..)
            .and_then(|rest| memmem::find(rest, MAGIC))
            .map(|i| from + i);
        match hit {
            Some(at) if !(base + at as u64).is_multiple_of(ALIGN) => from = at + 1,
            Some(at) if eof || buf.len() - at >= WINDOW => {
                candidates += 1;
                match parse(buf.get(at..).unwrap_or_default()) {
                    Scan::Found(info) => return Ok(Scan::Found(info)),
                    Scan::Unreadable(why) => {
                        unreadable.get_or_insert(why);
                    }
                    Scan::NotGo => {}
                }
                if candidates >= MAX_CANDIDATES {
                    break;
                }
                from = at + 1;
            }
            Some(at) => {
                // Not enough bytes after the match yet: keep them from the match on.
                buf.drain(..at);
                base += at as u64;
                from = 0;
            }
            None if eof => break,
            None => {
                let keep = MAGIC.len() - 1;
                let cut = buf.len().saturating_sub(keep);
                buf.drain(..cut);
                base += cut as u64;
                from = 0;
            }
        }
    }
    Ok(match unreadable {
        Some(why) => Scan::Unreadable(why),
        None => Scan::NotGo,
    })
}

/// Parse build information starting at the magic. A match that is not a plausible header (the
/// magic string inside a tool that reads Go binaries) is `NotGo`.
pub fn parse(bytes: &[u8]) -> Scan {
    let (Some(&ptr_size), Some(&flags)) = (bytes.get(14), bytes.get(15)) else {
        return Scan::NotGo;
    };
    if !bytes.starts_with(MAGIC) || !(ptr_size == 4 || ptr_size == 8) {
        return Scan::NotGo;
    }
    if flags & FLAG_VERSION_INLINE == 0 {
        return Scan::Unreadable(
            "Go build information in the format before Go 1.18 (pointers into the data segment) is not read"
                .into(),
        );
    }
    let mut rest = bytes.get(HEADER..).unwrap_or_default();
    let (Some(version), Some(modinfo)) = (
        read_string(&mut rest),
        read_string(&mut rest).map(strip_sentinels),
    ) else {
        return Scan::NotGo;
    };
    let Ok(version) = std::str::from_utf8(version) else {
        return Scan::NotGo;
    };
    if !(version.starts_with("go") || version.starts_with("devel")) {
        return Scan::NotGo;
    }
    let Ok(modinfo) = std::str::from_utf8(modinfo) else {
        return Scan::Unreadable("the module information is not UTF-8".into());
    };
    let mut info = parse_modinfo(modinfo);
    info.go_version = version.to_string();
    Scan::Found(info)
}

/// A varint-length-prefixed string, advancing `rest`.
fn read_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut used = 0;
    loop {
        let b = *rest.get(used)?;
        used += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    let s = rest.get(used..used.checked_add(len)?)?;
    *rest = rest.get(used + len..)?;
    Some(s)
}

/// The module text without the 16-byte sentinels the linker wraps it in.
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m.get(m.len() - 17) == Some(&b'\n') {
        m.get(16..m.len() - 16).unwrap_or(m)
    } else {
        m
    }
}

/// The `path`/`mod`/`dep`/`=>` lines of the module information.
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo {
        go_version: String::new(),
        path: String::new(),
        main: None,
        deps: Vec::new(),
    };
    // Whether the last module line was the main module (a `=>` then replaces it).
    let mut last_main = false;
    for line in text.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let module = |f: &mut std::str::Split<'_, char>| {
            let path = f.next().filter(|p| !p.is_empty())?;
            Some(Module {
                path: path.to_string(),
                version: f.next().unwrap_or("").to_string(),
                sum: f.next().filter(|s| !s.is_empty()).map(String::from),
                replaced_by: None,
            })
        };
        match kind {
            "path" => info.path = f.next().unwrap_or("").to_string(),
            "mod" => {
                info.main = module(&mut f);
                last_main = true;
            }
            "dep" => {
                if let Some(m) = module(&mut f) {
                    info.deps.push(m);
                }
                last_main = false;
            }
            "=>" => {
                let target = if last_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                if let (Some(t), Some(r)) = (target, module(&mut f)) {
                    t.replaced_by = Some(Box::new(r));
                }
            }
            _ => {}
        }
    }
    info
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A build-information blob as the Go 1.18+ linker lays it out (the documented format; no Go
    /// toolchain is installed here to build a real binary).
    pub(crate) fn blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(8);
        b.push(FLAG_VERSION_INLINE);
        b.resize(HEADER, 0);
        let mut put = |s: &[u8]| {
            let mut n = s.len();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend_from_slice(s);
        };
        put(version.as_bytes());
        let mut m = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
        m.extend_from_slice(modinfo.as_bytes());
        m.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
        put(&m);
        b
    }

    pub(crate) const MODINFO: &str = "path\texample.com/svc/cmd/server\n\
mod\texample.com/svc\tv1.4.0\th1:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefgh=\n\
dep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n\
dep\tgolang.org/x/net\tv0.25.0\n\
=>\tgolang.org/x/net\tv0.26.0\th1:soB7SVo0PWrY4vPW/+ay0jKDNScG2X9wFeYlXIvJsOQ=\n\
build\t-compiler=gc\n\
build\tGOOS=linux\n";

    /// An ELF-looking executable with the build information in the middle of a lot of other bytes.
    pub(crate) fn executable() -> Vec<u8> {
        let mut exe = b"\x7fELF\x02\x01\x01".to_vec();
        exe.resize(3 * WINDOW + 5, 0x90);
        // The magic string as a constant elsewhere (a tool that reads Go binaries) must not count.
        exe.extend_from_slice(MAGIC);
        exe.extend_from_slice(b"\x00\x00 not a header");
        exe.resize(3 * WINDOW + 4096, 0);
        exe.extend_from_slice(&blob("go1.22.4", MODINFO));
        exe.resize(exe.len() + 3 * WINDOW, 0xcc);
        exe
    }

    #[test]
    fn inline_build_info_is_read_from_a_stream() {
        let Scan::Found(info) = scan(&executable()[..]).expect("reads") else {
            panic!("no build info found")
        };
        assert_eq!(info.go_version, "go1.22.4");
        assert_eq!(info.path, "example.com/svc/cmd/server");
        let main = info.main.expect("main module");
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("example.com/svc", "v1.4.0")
        );
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].path, "github.com/google/uuid");
        assert_eq!(
            info.deps[0].sum.as_deref(),
            Some("h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=")
        );
        let replaced = info.deps[1].replaced_by.as_ref().expect("replacement");
        assert_eq!(replaced.version, "v0.26.0");
    }

    /// A CUDA or PyTorch shared library is larger than any limit worth setting: the search
    /// streams, so its size is no error (it was over a 256 MiB cap once).
    #[test]
    fn executables_of_any_size_are_searched() {
        let big = io::repeat(0x90).take(300 << 20);
        let found = scan(big.chain(&blob("go1.22.4", MODINFO)[..])).expect("reads");
        assert!(
            matches!(found, Scan::Found(ref i) if i.go_version == "go1.22.4"),
            "{found:?}"
        );
    }

    #[test]
    fn only_aligned_headers_count_and_candidates_are_capped() {
        // The real header 16-byte aligned reads; moved by 8 bytes it is not a header.
        for (pad, go) in [(4096, true), (4096 + 8, false)] {
            let mut exe = vec![0u8; pad];
            exe.extend_from_slice(&blob("go1.22.4", MODINFO));
            let found = scan(&exe[..]).expect("reads");
            assert_eq!(matches!(found, Scan::Found(_)), go, "pad {pad}: {found:?}");
        }
        // Aligned decoys that look like headers but are not: after MAX_CANDIDATES of them the
        // search stops (each candidate may parse a megabyte).
        let decoy = {
            let mut d = blob("nonsense", "x");
            d.resize(64, 0);
            d
        };
        let with = |decoys: usize| {
            let mut exe = Vec::new();
            for _ in 0..decoys {
                exe.extend_from_slice(&decoy);
            }
            exe.extend_from_slice(&blob("go1.22.4", MODINFO));
            scan(&exe[..]).expect("reads")
        };
        assert!(matches!(with(MAX_CANDIDATES - 1), Scan::Found(_)));
        assert_eq!(with(MAX_CANDIDATES), Scan::NotGo);
    }

    #[test]
    fn limits_and_other_files() {
        assert_eq!(
            scan(&b"#!/bin/sh\necho hi\n"[..]).expect("reads"),
            Scan::NotGo
        );
        let mut old = MAGIC.to_vec();
        old.extend_from_slice(&[8, 0]);
        old.resize(64, 0);
        assert!(matches!(parse(&old), Scan::Unreadable(_)));
        // A truncated header or strings never panic.
        let full = blob("go1.21.0", MODINFO);
        for n in 0..full.len() {
            let _ = parse(&full[..n]);
        }
    }
}
