use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity};
use regex::Regex;

use super::{Cx, Rule, Scope, declare_rule};
use crate::expr::Taint;
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::gitlab_taint::{GlSource, variable_taint};
use crate::script::{
    Assigned, Command, Expansion, Line, Shell, github_line, github_shell, github_var_taint,
    gitlab_lines, parse,
};
use crate::taint::Source;

declare_rule! {
    /// ## What it does
    /// Finds attacker-controlled text written *as shell data* into files that define variables
    /// for later steps or jobs:
    /// - GitHub: `echo "X=$TITLE" >> "$GITHUB_ENV"` (also `$GITHUB_PATH`, `$GITHUB_OUTPUT`,
    ///   `printf`, `tee -a`, here-documents and `{ ...; } >> "$GITHUB_ENV"` groups) where
    ///   `TITLE` comes from an `env:` value carrying attacker text (`github.event.issue.title`,
    ///   `github.head_ref`...), directly or through shell variables, in workflows that forks,
    ///   issues or comments can trigger and in composite actions.
    /// - GitLab: a dotenv report (`artifacts:reports:dotenv: build.env`) written with
    ///   attacker-controlled predefined variables (`$CI_COMMIT_MESSAGE`,
    ///   `$CI_MERGE_REQUEST_TITLE`, `$CI_COMMIT_REF_NAME`...) or variables defined from them.
    ///
    /// Values expanded by `${{ }}` inside the script are `template-injection`'s findings.
    /// Multi-line writes with a random delimiter (`NAME<<$EOF` with `EOF=$(openssl rand -hex 16)`)
    /// are not reported.
    ///
    /// ## Why is this bad
    /// These files are parsed line by line. A value with a line break (a pull request body, a
    /// commit message) adds its own `NAME=value` lines: `BASH_ENV`, `LD_PRELOAD` or
    /// `NODE_OPTIONS` then run the attacker's code in every later step, often with more
    /// privileges (a `pull_request_target` job with secrets, a deploy job that needs the
    /// dotenv report). A written `GITHUB_PATH` entry puts the attacker's directory first in PATH.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   label:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - run: echo "PR_BODY=$BODY" >> "$GITHUB_ENV"
    ///         env:
    ///           BODY: ${{ github.event.pull_request.body }}
    /// ```
    ///
    /// ## Use instead
    /// Pass the value through `env:` to each step that needs it, or write it with a random
    /// delimiter:
    /// ```yaml
    ///       - run: |
    ///           EOF=$(openssl rand -hex 16)
    ///           { echo "PR_BODY<<$EOF"; echo "$BODY"; echo "$EOF"; } >> "$GITHUB_ENV"
    /// ```
    /// On GitLab, write only values you control to dotenv reports (IDs, SHAs, sanitized slugs
    /// such as `$CI_COMMIT_REF_SLUG`).
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions#multiline-strings
    /// - https://securitylab.github.com/resources/github-actions-untrusted-input/
    /// - https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv
    EnvInjection {
        id: "env-injection",
        title: "attacker-controlled text written to an environment file",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

static RANDOM_DELIMITER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z_][A-Za-z0-9_]*<<\$\{?[A-Za-z_]").unwrap_or_else(|e| panic!("delim: {e}"))
});

/// A multi-line write whose delimiter is random (`NAME<<$EOF`, `EOF=$(openssl rand ...)`).
fn random_delimiter(text: &str) -> bool {
    RANDOM_DELIMITER.is_match(text)
        && [
            "openssl rand",
            "uuidgen",
            "/dev/urandom",
            "$RANDOM",
            "mktemp",
            "/proc/sys/kernel/random",
        ]
        .iter()
        .any(|r| text.contains(r))
}

/// Expansions a command writes to its standard output (`echo`, `printf`, `cat <<EOF`).
fn written<'a>(c: &Command<'a>) -> Vec<Expansion<'a>> {
    let prog = c.program().unwrap_or_default();
    let mut out: Vec<Expansion<'a>> = match prog.as_str() {
        "echo" | "printf" => c.argv()[1..].iter().flat_map(|w| w.expansions()).collect(),
        "cat" | "" => Vec::new(),
        _ => return Vec::new(),
    };
    for h in &c.heredocs {
        out.extend(h.expansions());
    }
    // Inside `$(...)` the value may be transformed (sanitized); not judged here.
    out.retain(|e| !e.in_substitution);
    out
}

/// Writes to a target file: the pipeline's index, the target's text and the expansions written.
type Write<'a> = (usize, String, Vec<Expansion<'a>>);

fn writes<'a>(
    pipes: &[crate::script::Pipe<'a>],
    is_target: &dyn Fn(&str) -> bool,
) -> Vec<Write<'a>> {
    let mut out = Vec::new();
    let mut flat: Vec<&Command<'a>> = Vec::new();
    let mut groups: Vec<usize> = Vec::new();
    for (p, pipe) in pipes.iter().enumerate() {
        for (i, c) in pipe.commands.iter().enumerate() {
            if c.words.first().is_some_and(|w| w.text == "{") {
                groups.push(flat.len());
            }
            flat.push(c);
            let redirect_target = c
                .redirects
                .iter()
                .filter(|r| r.is_output())
                .filter_map(|r| r.target.map(|t| t.value()))
                .find(|t| is_target(t));
            if let Some(t) = redirect_target {
                let closes_group = c.words.first().is_some_and(|w| w.text == "}");
                let data: Vec<Expansion<'a>> = if closes_group {
                    let from = groups.pop().unwrap_or(flat.len() - 1);
                    flat[from..].iter().flat_map(|d| written(d)).collect()
                } else {
                    written(c)
                };
                out.push((p, t, data));
            } else if c.words.first().is_some_and(|w| w.text == "}") {
                groups.pop();
            }
            let argv = c.argv();
            if c.program().as_deref() == Some("tee") {
                if let Some(t) = argv[1..].iter().map(|w| w.value()).find(|v| is_target(v)) {
                    let data = pipe.commands[..i].iter().flat_map(|d| written(d)).collect();
                    out.push((p, t, data));
                }
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EnvFile {
    Env,
    Path,
    Output,
}

fn github_file(target: &str) -> Option<EnvFile> {
    if target.contains("GITHUB_ENV") {
        Some(EnvFile::Env)
    } else if target.contains("GITHUB_PATH") {
        Some(EnvFile::Path)
    } else if target.contains("GITHUB_OUTPUT") {
        Some(EnvFile::Output)
    } else {
        None
    }
}

fn normalise_path(p: &str) -> String {
    let p = p
        .trim_start_matches("$CI_PROJECT_DIR/")
        .trim_start_matches("${CI_PROJECT_DIR}/")
        .trim_start_matches("\"$CI_PROJECT_DIR\"/");
    p.trim_start_matches("./").to_owned()
}

impl EnvInjection {
    fn github(
        cx: &Cx<'_, '_>,
        scope: Scope<'_, '_>,
        step: &Step<'_>,
        line: Line<'_>,
        out: &mut Vec<Finding>,
    ) {
        if random_delimiter(line.text) {
            return;
        }
        let pipes = parse(line.text);
        let outer = |n: &str| github_var_taint(cx, scope, step, n, false);
        let wrap = |s: Source, name: &str, start: usize, end: usize| {
            s.hop(format!("shell variable {name}"), line.span(cx, start, end))
        };
        let mut assigned: Assigned<Source> = Assigned::default();
        let all = writes(&pipes, &|t| github_file(t).is_some());
        // Writes are judged with the assignments made before them.
        for (p, pipe) in pipes.iter().enumerate() {
            for (_, target, data) in all.iter().filter(|w| w.0 == p) {
                let data = data.clone();
                let Some(kind) = github_file(target) else {
                    continue;
                };
                for e in data {
                    let Some(source) = assigned.get(e.name, &outer) else {
                        continue;
                    };
                    let direct = source.path.len() <= 1;
                    let (severity, confidence) = match (source.taint, kind, direct) {
                        (Taint::Unknown, _, _) => (Severity::Medium, Confidence::Low),
                        (_, EnvFile::Output, true) => (Severity::Medium, Confidence::High),
                        (_, EnvFile::Output, false) => (Severity::Medium, Confidence::Medium),
                        (_, _, true) => (Severity::High, Confidence::High),
                        (_, _, false) => (Severity::High, Confidence::Medium),
                    };
                    let (file, effect) = match kind {
                        EnvFile::Env => (
                            "$GITHUB_ENV",
                            "a line break in it defines any variable (such as `BASH_ENV` or `LD_PRELOAD`) for the later steps of this job",
                        ),
                        EnvFile::Path => (
                            "$GITHUB_PATH",
                            "it puts a directory the attacker chooses first in PATH for the later steps of this job",
                        ),
                        EnvFile::Output => (
                            "$GITHUB_OUTPUT",
                            "a line break in it sets other outputs of this step, which later steps and jobs trust",
                        ),
                    };
                    let mut f = cx
                        .finding(
                            &Self::INFO,
                            line.span(cx, e.start, e.end),
                            "attacker-controlled value",
                            format!(
                                "`${}`, which holds {}, is written to `{file}`: {effect}",
                                e.name,
                                source.describe()
                            ),
                        )
                        .severity(severity)
                        .confidence(confidence);
                    f = cx.with_path(f, &source.path);
                    out.push(f);
                }
            }
            for c in &pipe.commands {
                assigned.update(c, &outer, &wrap);
            }
        }
    }
}

impl Rule for EnvInjection {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        if scope
            .workflow()
            .is_some_and(|wf| !wf.externally_triggerable())
        {
            return;
        }
        if github_shell(scope, step) != Shell::Posix {
            return;
        }
        if let Some(line) = github_line(step) {
            Self::github(cx, scope, step, line, out);
        }
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        if job.hidden {
            return;
        }
        let Some(reports) = job.node.path(&["artifacts", "reports", "dotenv"]) else {
            return;
        };
        let files: Vec<(String, &crate::yaml::Node)> = reports
            .scalars()
            .into_iter()
            .filter_map(|n| n.as_str().map(|s| (normalise_path(s), n)))
            .collect();
        if files.is_empty() {
            return;
        }
        let outer = |n: &str| variable_taint(pipeline, Some(job), n);
        let mut assigned: Assigned<GlSource> = Assigned::default();
        for line in gitlab_lines(job) {
            let wrap = |s: GlSource, name: &str, start: usize, end: usize| {
                s.hop(format!("shell variable {name}"), line.span(cx, start, end))
            };
            let pipes = parse(line.text);
            let is_target = |t: &str| files.iter().any(|(f, _)| *f == normalise_path(t));
            let all = writes(&pipes, &is_target);
            for (p, pipe) in pipes.iter().enumerate() {
                for (_, target, data) in all.iter().filter(|w| w.0 == p) {
                    let data = data.clone();
                    let Some((file, decl)) =
                        files.iter().find(|(f, _)| *f == normalise_path(target))
                    else {
                        continue;
                    };
                    for e in data {
                        let Some(source) = assigned.get(e.name, &outer) else {
                            continue;
                        };
                        let (effect, confidence) = if source.multiline {
                            (
                                "a line break in it defines arbitrary variables for every job that uses this report",
                                Confidence::High,
                            )
                        } else {
                            (
                                "every job that uses this report receives a variable whose value the author of the commit or merge request chooses",
                                Confidence::Medium,
                            )
                        };
                        let mut f = cx
                            .finding(
                                &Self::INFO,
                                line.span(cx, e.start, e.end),
                                "attacker-controlled value",
                                format!(
                                    "{} is written to the dotenv report `{file}`: {effect}",
                                    source.subject(e.name)
                                ),
                            )
                            .confidence(confidence);
                        f = cx.with_path(f, &source.path);
                        f = f.related(cx.loc(decl.span, "dotenv report"));
                        out.push(f);
                    }
                }
                for c in &pipe.commands {
                    assigned.update(c, &outer, &wrap);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(s: &str) -> Vec<(String, Vec<String>)> {
        let pipes = parse(s);
        writes(&pipes, &|t| github_file(t).is_some())
            .into_iter()
            .map(|(_, t, d)| (t, d.iter().map(|e| e.name.to_owned()).collect()))
            .collect()
    }

    #[test]
    fn finds_writes() {
        assert_eq!(
            targets("echo \"A=$T\" >> \"$GITHUB_ENV\""),
            vec![("$GITHUB_ENV".to_owned(), vec!["T".to_owned()])]
        );
        assert_eq!(
            targets("echo \"$P\" | tee -a $GITHUB_PATH"),
            vec![("$GITHUB_PATH".to_owned(), vec!["P".to_owned()])]
        );
        assert_eq!(
            targets("{\n  echo \"A<<EOF\"\n  echo \"$B\"\n  echo EOF\n} >> \"$GITHUB_ENV\""),
            vec![("$GITHUB_ENV".to_owned(), vec!["B".to_owned()])]
        );
        assert_eq!(
            targets("cat >> $GITHUB_ENV <<EOF\nX=$Y\nEOF"),
            vec![("$GITHUB_ENV".to_owned(), vec!["Y".to_owned()])]
        );
        assert_eq!(targets("echo \"$A\" > out.txt"), vec![]);
        assert_eq!(
            targets("echo \"S=$(echo $T | tr -cd a-z)\" >> $GITHUB_ENV"),
            vec![("$GITHUB_ENV".to_owned(), vec![])]
        );
    }

    #[test]
    fn random_delimiters() {
        assert!(random_delimiter(
            "EOF=$(openssl rand -hex 8)\necho \"B<<$EOF\" >> $GITHUB_ENV"
        ));
        assert!(!random_delimiter("echo \"B<<EOF\" >> $GITHUB_ENV"));
    }
}
