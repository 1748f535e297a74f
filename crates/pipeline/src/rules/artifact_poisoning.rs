use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::github::{Step, Workflow, workspace_path};
use crate::github_flow::{excludes_forks, runs_code};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// In workflows triggered by `workflow_run`, finds downloads of the triggering run's artifacts
    /// (`actions/download-artifact` with `run-id:` or `github-token:`,
    /// `dawidd6/action-download-artifact`, `gh run download`, or `actions/github-script` calling
    /// `downloadArtifact` and a later `unzip`) that later steps trust. The finding points at the
    /// download and names the later step:
    ///
    /// - **high**: a later step runs code where the artifact went (a build command or script in the
    ///   workspace root or in the download directory, a local action, `require('./...')` in
    ///   `actions/github-script`);
    /// - **high**: the artifact is extracted into the workspace root (no `path:`) over files an
    ///   earlier checkout put there, which later steps use;
    /// - **medium**: later steps only read the files (a "PR number", a report): they must treat
    ///   them as untrusted data.
    ///
    /// Workflows that only follow workflows of this repository that outsiders cannot start (for
    /// example, `on: push`), and jobs limited to `workflow_run.event == 'push'`, are skipped.
    ///
    /// ## Why is this bad
    /// A `workflow_run` workflow runs with secrets and a write token after a run that a fork's pull
    /// request can start. That run executed the fork's code, so its artifacts are whatever the
    /// attacker wanted them to be: scripts, binaries, a `package.json`, or a "PR number" file
    /// holding shell code. Executing or trusting them gives the attacker the privileged context.
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   workflow_run:
    ///     workflows: [CI]
    ///     types: [completed]
    /// jobs:
    ///   comment:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/download-artifact@v4
    ///         with:
    ///           run-id: ${{ github.event.workflow_run.id }}
    ///           github-token: ${{ github.token }}
    ///       - run: ./post-results.sh
    /// ```
    ///
    /// ## Use instead
    /// Download into a dedicated directory outside the checkout (`path: ${{ runner.temp }}/results`),
    /// treat the content as untrusted data (validate the PR number is numeric, never `source` or
    /// execute it), and keep scripts that process it in the base repository.
    ///
    /// ## References
    /// - https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
    /// - https://www.legitsecurity.com/blog/artifact-poisoning-vulnerability-discovered-in-rust
    ArtifactPoisoning {
        id: "artifact-poisoning",
        title: "artifacts of an untrusted run are trusted in a privileged workflow",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

static GH_RUN_DOWNLOAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"gh\s+run\s+download\b[^\n;&|]*").unwrap_or_else(|e| panic!("gh regex: {e}"))
});

static DIR_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:-D|--dir)[\s=]+["']?([^\s"']+)"#).unwrap_or_else(|e| panic!("dir regex: {e}"))
});

static UNZIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:unzip|tar)\b[^\n;&|]*").unwrap_or_else(|e| panic!("unzip regex: {e}"))
});

/// The directory of `unzip -d DIR` / `tar -C DIR`.
static EXTRACT_DIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\s(?:-d|-C|--directory)[\s=]+["']?([^\s"']+)"#)
        .unwrap_or_else(|e| panic!("extract dir regex: {e}"))
});

/// What later steps must contain to use the files of `dir`: the directory, or the variable
/// holding it (`${ARTIFACT_FOLDER}` -> `ARTIFACT_FOLDER`, also found in `process.env.ARTIFACT_FOLDER`).
fn dir_key(dir: &str) -> String {
    match dir.strip_prefix('$') {
        Some(var) => var
            .trim_start_matches('{')
            .split(['}', '/'])
            .next()
            .unwrap_or(var)
            .to_owned(),
        None => dir.to_owned(),
    }
}

/// A download of another run's artifacts.
struct Download<'n> {
    node: &'n Node,
    needle: String,
    /// Destination directory (`None`: the workspace root).
    path: Option<String>,
    what: &'static str,
    /// `actions/github-script` downloads a zip that a later `unzip` extracts.
    zip: bool,
}

fn download_of<'a>(step: &Step<'a>) -> Option<Download<'a>> {
    let path = || {
        step.with("path")
            .and_then(Node::as_str)
            .and_then(workspace_path)
    };
    if step.uses_action("actions/download-artifact") {
        let cross_run = step.with("run-id").is_some() || step.with("github-token").is_some();
        let uses = step.uses()?;
        return cross_run.then(|| Download {
            node: uses,
            needle: uses.as_str().unwrap_or("").trim().to_owned(),
            path: path(),
            what: "`actions/download-artifact`",
            zip: false,
        });
    }
    if step.uses_action("dawidd6/action-download-artifact") {
        let uses = step.uses()?;
        return Some(Download {
            node: uses,
            needle: uses.as_str().unwrap_or("").trim().to_owned(),
            path: path(),
            what: "`dawidd6/action-download-artifact`",
            zip: false,
        });
    }
    if step.uses_action("actions/github-script") {
        let script = step.with("script")?;
        let text = script.as_str()?;
        text.find("downloadArtifact")?;
        return Some(Download {
            node: script,
            needle: "downloadArtifact".to_owned(),
            path: None,
            what: "`actions/github-script`",
            zip: true,
        });
    }
    let run = step.run()?;
    let text = run.as_str()?;
    let m = GH_RUN_DOWNLOAD.find(text)?;
    let cmd = m.as_str().trim_end();
    let dir = DIR_FLAG
        .captures(cmd)
        .and_then(|c| c.get(1))
        .and_then(|d| workspace_path(d.as_str()));
    Some(Download {
        node: run,
        needle: cmd.to_owned(),
        path: dir,
        what: "`gh run download`",
        zip: false,
    })
}

/// Where a step uses the files in `path` (a line of its script, or an input that names it).
fn mentions(cx: &Cx<'_, '_>, step: &Step<'_>, path: &str) -> Option<Span> {
    let mut found = None;
    step.node.walk(&mut |n| {
        if found.is_some() {
            return;
        }
        if let Some(s) = n.as_str() {
            if let Some(line) = s.lines().find(|l| l.contains(path)) {
                found = Some(cx.locate(n, line.trim(), 0));
            }
        }
    });
    found
}

/// How a later step trusts a download.
struct Trust {
    span: Span,
    label: &'static str,
    /// The end of the message.
    rest: String,
    severity: Severity,
    confidence: Confidence,
}

fn checks_out(step: &Step<'_>) -> bool {
    step.uses_action("actions/checkout")
        || step
            .run()
            .and_then(Node::as_str)
            .is_some_and(|r| r.contains("git clone") || r.contains("git checkout"))
}

impl ArtifactPoisoning {
    /// The first later step that trusts the download, and how.
    fn trust(
        cx: &Cx<'_, '_>,
        dl: &Download<'_>,
        before: &[Step<'_>],
        later_steps: &[Step<'_>],
    ) -> Option<Trust> {
        // Files of an earlier checkout that a root extraction can replace.
        let checkout = before.iter().any(checks_out);
        let root = match &dl.path {
            None => "into the workspace root".to_owned(),
            Some(p) => format!("into `{p}`"),
        };
        let secrets = "with this workflow's secrets and token";
        if dl.zip {
            // The zip lands in the workspace; `unzip` without `-d` extracts it there.
            let (k, run, cmd) = later_steps.iter().enumerate().find_map(|(k, s)| {
                let run = s.run()?;
                let m = UNZIP.find(run.as_str()?)?;
                Some((k, run, m.as_str().trim_end().to_owned()))
            })?;
            let unzip = later_steps[k].describe();
            let to_root = !cmd.contains(" -d") && !cmd.contains(" -C");
            // A directory of their own (`unzip x.zip -d "$DIR"`): only code run from there, or
            // steps that read from there, trust the files; code of the checkout elsewhere does not.
            let own_dir = EXTRACT_DIR
                .captures(&cmd)
                .and_then(|c| c.get(1))
                .and_then(|d| workspace_path(d.as_str()))
                .map(|d| dir_key(&d))
                .filter(|_| !to_root);
            if let Some(key) = &own_dir {
                if let Some((s, e)) = later_steps[k..]
                    .iter()
                    .find_map(|s| runs_code(s, Some(key)).map(|e| (s, e)))
                {
                    return Some(Trust {
                        span: cx.locate(e.node, &e.needle, 0),
                        label: "runs code from the extracted files",
                        rest: format!(
                            ", {unzip} extracts them, and {} then runs code from them {secrets}",
                            s.describe()
                        ),
                        severity: Severity::High,
                        confidence: Confidence::High,
                    });
                }
                let (s, span) = later_steps[k + 1..]
                    .iter()
                    .find_map(|s| mentions(cx, s, key).map(|sp| (s, sp)))?;
                return Some(Trust {
                    span,
                    label: "reads the extracted files",
                    rest: format!(
                        ", {unzip} extracts them, and {} then reads them {secrets}; treat them as untrusted data",
                        s.describe()
                    ),
                    severity: Severity::Medium,
                    confidence: Confidence::Medium,
                });
            }
            if let Some((s, e)) = later_steps[k..]
                .iter()
                .find_map(|s| runs_code(s, None).map(|e| (s, e)))
            {
                return Some(Trust {
                    span: cx.locate(e.node, &e.needle, 0),
                    label: "runs code next to the extracted files",
                    rest: format!(
                        ", {unzip} extracts them{}, and {} then runs code there {secrets}",
                        if to_root {
                            " into the workspace root"
                        } else {
                            ""
                        },
                        s.describe()
                    ),
                    severity: Severity::High,
                    confidence: if to_root {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                });
            }
            if !to_root {
                return None;
            }
            return Some(Trust {
                span: cx.locate(run, &cmd, 0),
                label: "extracts it into the workspace root",
                rest: if checkout {
                    format!(
                        ", and {unzip} extracts them over the checked-out files, which later steps use {secrets}"
                    )
                } else {
                    format!(
                        ", and {unzip} extracts them into the workspace root, where later steps read them {secrets}"
                    )
                },
                severity: if checkout {
                    Severity::High
                } else {
                    Severity::Medium
                },
                confidence: Confidence::Medium,
            });
        }
        if let Some((s, e)) = later_steps
            .iter()
            .find_map(|s| runs_code(s, dl.path.as_deref()).map(|e| (s, e)))
        {
            return Some(Trust {
                span: cx.locate(e.node, &e.needle, 0),
                label: "runs code from the download's directory",
                rest: format!(
                    ", {root}, and {} then runs code there {secrets}",
                    s.describe()
                ),
                severity: Severity::High,
                confidence: Confidence::High,
            });
        }
        for later in later_steps {
            let who = later.describe();
            match &dl.path {
                None => {
                    // Extracted into the workspace root: later steps may read a replaced file.
                    let Some(n) = later.run().or_else(|| later.uses()) else {
                        continue;
                    };
                    return Some(Trust {
                        span: n.span,
                        label: "uses the workspace",
                        rest: if checkout {
                            format!(
                                ", {root}, over the checked-out files that {who} and later steps use {secrets}"
                            )
                        } else {
                            format!(", {root}, where {who} and later steps read them {secrets}")
                        },
                        severity: if checkout {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        confidence: Confidence::Medium,
                    });
                }
                Some(p) => {
                    if let Some(span) = mentions(cx, later, p) {
                        return Some(Trust {
                            span,
                            label: "reads the downloaded files",
                            rest: format!(
                                ", {root}, and {who} then reads them {secrets}; treat them as untrusted data"
                            ),
                            severity: Severity::Medium,
                            confidence: Confidence::Medium,
                        });
                    }
                }
            }
        }
        None
    }
}

impl Rule for ArtifactPoisoning {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let Some(trigger) = wf.trigger("workflow_run") else {
            return;
        };
        if !trigger.follows_untrusted_runs(&cx.repo.workflows) {
            return;
        }
        for job in &wf.jobs {
            let cond = job
                .node
                .get("if")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            if excludes_forks(&cond) || cond.contains("workflow_run.event == 'push'") {
                continue;
            }
            for (i, step) in job.steps.iter().enumerate() {
                let Some(dl) = download_of(step) else {
                    continue;
                };
                let Some(t) = Self::trust(cx, &dl, &job.steps[..i], &job.steps[i + 1..]) else {
                    continue;
                };
                out.push(
                    cx.finding(
                        &Self::INFO,
                        cx.locate(dl.node, &dl.needle, 0),
                        "artifact from an untrusted run",
                        format!(
                            "{} downloads artifacts of the triggering run, which a fork's pull request can control{}",
                            dl.what, t.rest
                        ),
                    )
                    .related(cx.loc(t.span, t.label))
                    .severity(t.severity)
                    .confidence(t.confidence),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DIR_FLAG, EXTRACT_DIR, GH_RUN_DOWNLOAD, dir_key};

    #[test]
    fn extraction_dirs() {
        let dir = |cmd: &str| {
            EXTRACT_DIR
                .captures(cmd)
                .and_then(|c| c.get(1))
                .map(|d| dir_key(d.as_str()))
        };
        assert_eq!(
            dir("unzip \"${ARTIFACT_FOLDER}/levitate.zip\" -d \"${ARTIFACT_FOLDER}\""),
            Some("ARTIFACT_FOLDER".into())
        );
        assert_eq!(dir("unzip pr.zip -d pr"), Some("pr".into()));
        assert_eq!(dir("tar -xzf b.tgz -C $OUT/x"), Some("OUT".into()));
        assert_eq!(dir("unzip pr.zip"), None);
    }

    #[test]
    fn gh_run_download_dirs() {
        let cmd = "gh run download \"$RUN_ID\" -n results -D pr-results && ls";
        let m = GH_RUN_DOWNLOAD.find(cmd).map(|m| m.as_str().trim_end());
        assert_eq!(
            m,
            Some("gh run download \"$RUN_ID\" -n results -D pr-results")
        );
        let dir = DIR_FLAG
            .captures(m.unwrap_or(""))
            .and_then(|c| c.get(1))
            .map(|d| d.as_str());
        assert_eq!(dir, Some("pr-results"));
    }
}
