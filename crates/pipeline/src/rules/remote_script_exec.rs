use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Span};
use regex::Regex;

use super::{Cx, Rule, Scope, declare_rule};
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::script::{
    CodeFrom, Command, Download, Line, Shell, SubKind, Word, basename, code_from, download,
    github_line, github_shell, gitlab_lines, interpreter, parse,
};

declare_rule! {
    /// ## What it does
    /// Finds scripts that download code and run it without checking what they got:
    /// `curl ... | sh` (or `bash`, `python`, `sudo bash -s`...), `wget -O- ... | sh`,
    /// `bash <(curl ...)`, `sh -c "$(curl ...)"`, `eval "$(curl ...)"`, PowerShell's
    /// `iex (iwr ...)` / `irm ... | Invoke-Expression`, and, at medium confidence, a script saved
    /// with `curl -o x.sh` (or `curl ... > x.sh`, `wget`) and then run (`bash x.sh`, `./x.sh`)
    /// with no checksum or signature check in between. Checks GitHub `run:` steps (workflows and
    /// composite actions) and GitLab `script`, `before_script` and `after_script`.
    ///
    /// Piping into a program that reads *data* (`curl ... | jq`, `| sha256sum -c`,
    /// `| python3 -c '...'`) is not reported.
    ///
    /// ## Why is this bad
    /// Whatever the server returns runs in the job, with its token, its secrets and write access to
    /// what it builds. A compromised download host, a hijacked domain, a moved branch behind a
    /// `raw.githubusercontent.com/.../main/install.sh` URL, or a change by the script's author all
    /// become code execution in your pipeline, and nothing records which script ran.
    ///
    /// ## Example
    /// ```yaml
    /// - run: curl -fsSL https://example.com/install.sh | bash
    /// ```
    ///
    /// ## Use instead
    /// Pin the download and verify it before running it, or install from a package manager or an
    /// action pinned by commit:
    /// ```yaml
    /// - run: |
    ///     curl -fsSLo install.sh https://example.com/v1.2.3/install.sh
    ///     echo "3f5d...e1  install.sh" | sha256sum --check
    ///     bash install.sh
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
    /// - https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies
    RemoteScriptExec {
        id: "remote-script-exec",
        title: "downloaded code executed without verification",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

static PS_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\w-])(iex|invoke-expression|\[scriptblock\]::create)(?:$|[^\w-])")
        .unwrap_or_else(|e| panic!("sink regex: {e}"))
});

static PS_DOWNLOAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\w-])(iwr|irm|invoke-webrequest|invoke-restmethod|\.downloadstring|net\.webclient)(?:$|[^\w-])")
        .unwrap_or_else(|e| panic!("download regex: {e}"))
});

static PS_CURL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\w-])(curl|wget)(?:$|[^\w-])")
        .unwrap_or_else(|e| panic!("curl regex: {e}"))
});

/// Programs that check a download before it is used.
const VERIFIERS: [&str; 12] = [
    "sha256sum",
    "sha512sum",
    "sha1sum",
    "shasum",
    "md5sum",
    "gpg",
    "gpgv",
    "cosign",
    "minisign",
    "slsa-verifier",
    "openssl",
    "b2sum",
];

const SCRIPT_EXTENSIONS: [&str; 8] = [".sh", ".bash", ".zsh", ".py", ".pl", ".rb", ".ps1", ".js"];

/// A finding before it is located.
struct Hit {
    line: usize,
    start: usize,
    end: usize,
    message: String,
    confidence: Confidence,
    related: Option<(usize, usize, usize)>,
}

/// A file saved by a download command, waiting to see whether it is run.
struct Saved {
    file: String,
    program: String,
    line: usize,
    start: usize,
    end: usize,
    verified: bool,
}

fn pinned_url(url: Option<&Word<'_>>) -> bool {
    url.is_some_and(|u| {
        u.value()
            .split(['/', '@', '=', '?', '&'])
            .any(crate::github::is_commit_sha)
    })
}

fn confidence_for(url: Option<&Word<'_>>) -> Confidence {
    if pinned_url(url) {
        Confidence::Medium
    } else {
        Confidence::High
    }
}

/// The first download to standard output inside a substitution of `w` (of the given kinds).
fn substitution_download(w: &Word<'_>, kinds: &[SubKind]) -> Option<(String, Confidence)> {
    for s in w.substitutions() {
        if !kinds.contains(&s.kind) {
            continue;
        }
        for p in s.parse() {
            for c in &p.commands {
                if let Some(Download::Stdout { url }) = download(c.argv()) {
                    let prog = c.program().unwrap_or_default();
                    return Some((prog, confidence_for(url.as_ref())));
                }
            }
        }
    }
    None
}

fn program_of(c: &Command<'_>) -> String {
    c.program().unwrap_or_default()
}

/// What runs the code: `bash`, `sudo bash`... as written, for messages.
fn runner_text(c: &Command<'_>) -> String {
    program_of(c)
}

fn check_posix(line_no: usize, text: &str, saved: &mut Vec<Saved>, hits: &mut Vec<Hit>) {
    let pipes = parse(text);
    for pipe in &pipes {
        // `curl ... | bash`
        let mut piped = false;
        for (i, c) in pipe.commands.iter().enumerate() {
            let Some(Download::Stdout { url }) = download(c.argv()) else {
                continue;
            };
            for d in &pipe.commands[i + 1..] {
                let argv = d.argv();
                let Some(lang) = argv.first().and_then(|w| interpreter(&w.value())) else {
                    continue;
                };
                if code_from(lang, argv) == CodeFrom::Stdin {
                    hits.push(Hit {
                        line: line_no,
                        start: c.start,
                        end: d.end,
                        message: format!(
                            "the output of `{}` is piped into `{}`, which runs the downloaded code without checking its integrity",
                            program_of(c),
                            runner_text(d)
                        ),
                        confidence: confidence_for(url.as_ref()),
                        related: None,
                    });
                    piped = true;
                    break;
                }
            }
            if piped {
                break;
            }
        }
        for c in &pipe.commands {
            let argv = c.argv();
            let Some(first) = argv.first() else { continue };
            let prog = basename(&first.value()).to_owned();
            // `bash <(curl ...)`, `source <(curl ...)`, `sh -c "$(curl ...)"`, `eval "$(curl ...)"`
            let found = if prog == "source" || prog == "." {
                argv.get(1)
                    .and_then(|w| substitution_download(w, &[SubKind::ProcessIn]))
                    .map(|d| (d, "runs"))
            } else if prog == "eval" {
                argv[1..]
                    .iter()
                    .find_map(|w| substitution_download(w, &[SubKind::Command, SubKind::Backtick]))
                    .map(|d| (d, "evaluates"))
            } else if let Some(lang) = interpreter(&prog) {
                match code_from(lang, argv) {
                    CodeFrom::File(w) => substitution_download(w, &[SubKind::ProcessIn]),
                    CodeFrom::Inline(Some(w)) => {
                        substitution_download(w, &[SubKind::Command, SubKind::Backtick])
                    }
                    _ => None,
                }
                .map(|d| (d, "runs"))
            } else {
                None
            };
            if let Some(((dl, confidence), verb)) = found {
                hits.push(Hit {
                    line: line_no,
                    start: c.start,
                    end: c.end,
                    message: format!(
                        "`{prog}` {verb} code downloaded by `{dl}` without checking its integrity"
                    ),
                    confidence,
                    related: None,
                });
            }
            // Download to a file, then run it.
            // `curl -o x.sh URL`, or `curl URL > x.sh`.
            let saved_to = match download(argv) {
                Some(Download::File { file, .. }) => Some(file),
                Some(Download::Stdout { .. }) => c
                    .redirects
                    .iter()
                    .find(|r| r.stdout_to_file())
                    .and_then(|r| r.target)
                    .map(|t| t.value()),
                None => None,
            };
            match saved_to {
                Some(file) if !file.is_empty() => {
                    saved.push(Saved {
                        file,
                        program: prog.clone(),
                        line: line_no,
                        start: c.start,
                        end: c.end,
                        verified: false,
                    });
                    continue;
                }
                _ => {}
            }
            if VERIFIERS.contains(&prog.as_str())
                || prog == "gh" && argv.iter().any(|w| w.text == "attestation")
            {
                saved.iter_mut().for_each(|s| s.verified = true);
                continue;
            }
            let target = if prog == "source" || prog == "." {
                argv.get(1)
            } else if let Some(lang) = interpreter(&prog) {
                match code_from(lang, argv) {
                    CodeFrom::File(w) => Some(w),
                    _ => None,
                }
            } else {
                // Run directly: `./install.sh`.
                let v = first.value();
                (v.contains('/') && SCRIPT_EXTENSIONS.iter().any(|e| v.ends_with(e)))
                    .then_some(first)
            };
            let Some(target) = target else { continue };
            let tv = target.value();
            let tv = tv.trim_start_matches("./");
            if let Some(s) = saved.iter().rev().find(|s| {
                !s.verified
                    && (s.file.trim_start_matches("./") == tv
                        || tv.ends_with(&format!("/{}", s.file.trim_start_matches("./"))))
            }) {
                hits.push(Hit {
                    line: line_no,
                    start: c.start,
                    end: c.end,
                    message: if std::ptr::eq(target, first) {
                        format!(
                            "`{}` is downloaded by `{}` and executed without a checksum or signature check",
                            s.file, s.program
                        )
                    } else {
                        format!(
                            "`{}` is downloaded by `{}` and run by `{prog}` without a checksum or signature check",
                            s.file, s.program
                        )
                    },
                    confidence: Confidence::Medium,
                    related: Some((s.line, s.start, s.end)),
                });
            }
        }
    }
}

fn check_powershell(line_no: usize, text: &str, shell: Shell, hits: &mut Vec<Hit>) {
    let mut offset = 0;
    for l in text.split_inclusive('\n') {
        let sink = PS_SINK.captures(l).and_then(|c| c.get(1));
        let source = PS_DOWNLOAD.captures(l).and_then(|c| c.get(1)).or_else(|| {
            (shell == Shell::PowerShell)
                .then(|| PS_CURL.captures(l).and_then(|c| c.get(1)))
                .flatten()
        });
        if let (Some(sink), Some(source)) = (sink, source) {
            hits.push(Hit {
                line: line_no,
                start: offset + sink.start(),
                end: offset + sink.end(),
                message: format!(
                    "`{}` runs code downloaded by `{}` without checking its integrity",
                    sink.as_str(),
                    source.as_str().trim_start_matches('.')
                ),
                confidence: Confidence::High,
                related: None,
            });
        }
        offset += l.len();
    }
}

fn check(cx: &Cx<'_, '_>, lines: &[Line<'_>], shell: Shell, out: &mut Vec<Finding>) {
    let mut hits = Vec::new();
    let mut saved = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if shell == Shell::Posix {
            check_posix(i, line.text, &mut saved, &mut hits);
        }
        check_powershell(i, line.text, shell, &mut hits);
    }
    for h in hits {
        let line = lines[h.line];
        let span: Span = line.span(cx, h.start, h.end);
        let mut f = cx
            .finding(
                &RemoteScriptExec::INFO,
                span,
                "downloaded code runs unverified",
                h.message,
            )
            .confidence(h.confidence);
        if let Some((l, s, e)) = h.related {
            f = f.related(cx.loc(lines[l].span(cx, s, e), "downloaded here"));
        }
        out.push(f);
    }
}

impl Rule for RemoteScriptExec {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        if let Some(line) = github_line(step) {
            check(cx, &[line], github_shell(scope, step), out);
        }
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        _pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        check(cx, &gitlab_lines(job), Shell::Posix, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(s: &str) -> Vec<String> {
        let mut h = Vec::new();
        let mut saved = Vec::new();
        check_posix(0, s, &mut saved, &mut h);
        check_powershell(0, s, Shell::Posix, &mut h);
        h.into_iter()
            .map(|h| s[h.start..h.end].to_owned())
            .collect()
    }

    #[test]
    fn detects_remote_execution() {
        assert_eq!(
            hits("curl -fsSL https://x/i.sh | sh"),
            vec!["curl -fsSL https://x/i.sh | sh"]
        );
        assert_eq!(hits("wget -qO- https://x | sudo -E bash -s -- -y").len(), 1);
        assert_eq!(hits("bash <(curl -s https://x)").len(), 1);
        assert_eq!(hits("/bin/bash -c \"$(curl -fsSL https://x)\"").len(), 1);
        assert_eq!(hits("eval \"$(wget -O - https://x)\"").len(), 1);
        assert_eq!(hits("source <(curl https://x)").len(), 1);
        assert_eq!(
            hits("curl -sSLo i.sh https://x/i.sh\nchmod +x i.sh\n./i.sh --yes").len(),
            1
        );
        assert_eq!(
            hits("curl -LO https://x/install.sh && sh install.sh").len(),
            1
        );
        assert_eq!(
            hits("curl -fsSL https://x/get.sh > get.sh\nsudo sh get.sh").len(),
            1
        );
        assert_eq!(
            hits("powershell -c \"iex (irm https://x/i.ps1)\""),
            vec!["iex"]
        );
    }

    #[test]
    fn ignores_data_pipes() {
        for s in [
            "curl -s https://api/x | jq .tag_name",
            "curl -fsSLo tool.tgz https://x/tool.tgz",
            "curl -sL https://x/sums | sha256sum -c",
            "curl -s https://api | python3 -c 'import json,sys; print(json.load(sys.stdin))'",
            "curl -sSLo i.sh https://x/i.sh && echo \"abc  i.sh\" | sha256sum -c && bash i.sh",
            "curl -I https://x | bash",
            "echo '$(curl x)' | grep curl",
            "iex -S mix phx.server",
        ] {
            assert!(hits(s).is_empty(), "{s}");
        }
    }
}
