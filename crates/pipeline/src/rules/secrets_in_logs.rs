use std::collections::HashSet;

use chainproof_core::{Confidence, Finding, Severity, Span};

use super::{Cx, Rule, Scope, declare_rule};
use crate::expr::{context_refs, find_exprs};
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::script::{
    Command, Line, Pipe, Shell, Word, basename, github_line, github_shell, github_shell_value,
    gitlab_lines, interpreter, parse, secret_name,
};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds secrets written to job logs:
    /// - `set -x` / `set -o xtrace` (or `shell: bash -x {0}`) before commands that expand a
    ///   secret, and `bash -x script.sh` with secrets in the environment;
    /// - `echo`/`printf` of a secret (`echo ${{ secrets.X }}`, `echo "$TOKEN"` where `TOKEN` holds
    ///   a secret) straight to the log;
    /// - a secret piped through `base64`, `xxd`, `rev`... to the log (encoding defeats masking);
    /// - `env`, `printenv`, `export -p` and `set` dumps in jobs that hold secrets;
    /// - GitLab `CI_DEBUG_TRACE: "true"` / `CI_DEBUG_SERVICES: "true"` in `variables:`.
    ///
    /// On GitHub, secrets are `${{ secrets.* }}` and `${{ github.token }}`, inline or through
    /// `env:`. On GitLab, variables named like secrets (`*_TOKEN`, `*_PASSWORD`, `*SECRET*`,
    /// `*_API_KEY`...) and `id_tokens`. Output redirected to a file or piped into another program
    /// (`echo "$TOKEN" | docker login --password-stdin`) is not reported.
    ///
    /// ## Why is this bad
    /// Job logs are read by everyone with access to the project (for public projects, everyone)
    /// and kept for months. GitHub masks the exact value of registered secrets, but not a
    /// transformed one (encoded, split, JSON-escaped, multi-line); GitLab masks only variables
    /// marked *masked* in the settings, never values written in the CI file, and
    /// `CI_DEBUG_TRACE` prints every variable.
    ///
    /// ## Example
    /// ```yaml
    /// deploy:
    ///   variables:
    ///     CI_DEBUG_TRACE: "true"
    ///   script:
    ///     - set -x
    ///     - curl -H "PRIVATE-TOKEN: $DEPLOY_TOKEN" "$API/deploy"
    ///     - echo "$DEPLOY_TOKEN" | base64
    /// ```
    ///
    /// ## Use instead
    /// Trace only commands that do not touch secrets (`set +x` around them), print a secret's
    /// presence rather than its value (`test -n "$DEPLOY_TOKEN" && echo "token set"`), mark
    /// GitLab variables *masked* and *protected* in the settings, and enable debug tracing only
    /// for a one-off manual run.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#redacting-secrets-from-workflow-run-logs
    /// - https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
    /// - https://docs.gitlab.com/ci/variables/variables_troubleshooting/#enable-debug-logging
    SecretsInLogs {
        id: "secrets-in-logs",
        title: "secret written to the job log",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// Programs that re-encode their input, so the masked value no longer appears as such.
const ENCODERS: [&str; 8] = [
    "base64", "base32", "basenc", "xxd", "od", "hexdump", "rev", "openssl",
];

/// Programs that pass (part of) their input to the log unchanged.
const PASS_THROUGH: [&str; 11] = [
    "tr", "cut", "sed", "awk", "head", "tail", "fold", "cat", "tee", "sort", "uniq",
];

/// What is known about a secret variable.
#[derive(Debug, Clone)]
struct Secret {
    /// How it is shown in messages: `$TOKEN` or `${{ secrets.X }}`.
    shown: String,
    /// The platform masks its exact value in logs.
    masked: bool,
    confidence: Confidence,
    /// Where its value is set, for a related location.
    defined: Option<Span>,
    /// Why it is considered a secret, for messages.
    why: String,
}

struct Ctx<'c> {
    lookup: &'c dyn Fn(&str) -> Option<Secret>,
    /// GitHub: `${{ secrets.* }}` written in the script itself.
    inline: bool,
    /// A secret in the environment (for dumps and `bash -x script`).
    env_secret: Option<Secret>,
    /// Tracing already on when the script starts (`shell: bash -x {0}`), and where.
    traced_from: Option<Span>,
    /// Severity when the platform masks the value.
    masked_severity: Severity,
}

struct Found {
    span: Span,
    label: &'static str,
    message: String,
    severity: Severity,
    confidence: Confidence,
    related: Vec<(Span, String)>,
}

/// `${{ secrets.X }}` / `${{ github.token }}` inside `text` (offsets relative to `text`).
fn inline_secrets(text: &str) -> Vec<(usize, usize, String)> {
    find_exprs(text)
        .into_iter()
        .filter(|e| {
            context_refs(e.inner)
                .iter()
                .any(|r| r.starts_with("secrets.") || r == "github.token")
        })
        .map(|e| (e.start, e.end, e.raw(text).to_owned()))
        .collect()
}

/// Secrets a word expands: `$NAME` of a secret variable, or an inline `${{ secrets.X }}`.
fn word_secrets(w: &Word<'_>, cx: &Ctx<'_>, inline_masked: bool) -> Vec<(usize, usize, Secret)> {
    let mut out: Vec<(usize, usize, Secret)> = w
        .expansions()
        .into_iter()
        .filter_map(|e| (cx.lookup)(e.name).map(|s| (e.start, e.end, s)))
        .collect();
    if cx.inline {
        for (s, e, raw) in inline_secrets(w.text) {
            out.push((
                w.start + s,
                w.start + e,
                Secret {
                    shown: raw,
                    masked: inline_masked,
                    confidence: Confidence::High,
                    defined: None,
                    why: "a repository secret".into(),
                },
            ));
        }
    }
    out
}

/// Secrets a command writes to its standard output: `echo`/`printf` arguments and
/// here-documents of `cat`.
fn printed(c: &Command<'_>, cx: &Ctx<'_>) -> Vec<(usize, usize, Secret)> {
    let argv = c.argv();
    let Some(prog) = argv.first().map(|w| basename(&w.value()).to_owned()) else {
        return Vec::new();
    };
    match prog.as_str() {
        "echo" | "printf" => argv[1..]
            .iter()
            .filter(|w| !w.value().starts_with("::add-mask::"))
            .flat_map(|w| {
                word_secrets(w, cx, true)
                    .into_iter()
                    .filter(|(s, _, _)| {
                        // Not inside `$(...)`: that output is captured.
                        w.expansions()
                            .iter()
                            .all(|e| e.start != *s || !e.in_substitution)
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        "cat" => {
            let mut out = Vec::new();
            for h in &c.heredocs {
                for e in h.expansions() {
                    if let Some(s) = (cx.lookup)(e.name) {
                        out.push((e.start, e.end, s));
                    }
                }
                if cx.inline && !h.quoted {
                    for (s, e, raw) in inline_secrets(h.body) {
                        out.push((
                            h.start + s,
                            h.start + e,
                            Secret {
                                shown: raw,
                                masked: true,
                                confidence: Confidence::High,
                                defined: None,
                                why: "a repository secret".into(),
                            },
                        ));
                    }
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Secrets fed to a command's standard input with a here-string (`base64 <<< "$TOKEN"`).
fn here_strings(c: &Command<'_>, cx: &Ctx<'_>) -> Vec<(usize, usize, Secret)> {
    c.redirects
        .iter()
        .filter(|r| r.op == "<<<")
        .filter_map(|r| r.target)
        .flat_map(|w| word_secrets(&w, cx, true))
        .collect()
}

fn program(c: &Command<'_>) -> String {
    c.program().unwrap_or_default()
}

fn is_encoder(c: &Command<'_>) -> bool {
    let p = program(c);
    ENCODERS.contains(&p.as_str())
        && (p != "openssl" || c.argv().iter().any(|w| matches!(w.text, "base64" | "enc")))
}

fn decodes(c: &Command<'_>) -> bool {
    c.argv()
        .iter()
        .any(|w| matches!(w.text, "-d" | "--decode" | "-D" | "-r"))
}

/// Whether `c` dumps the whole environment to standard output.
fn dump(c: &Command<'_>) -> Option<&'static str> {
    let words: Vec<&Word<'_>> = c
        .words
        .iter()
        .skip_while(|w| w.assignment().is_some() || matches!(w.text, "sudo" | "-E"))
        .collect();
    let first = words.first()?.value();
    let args: Vec<String> = words[1..].iter().map(|w| w.value()).collect();
    let only_opts = |allowed: &[&str]| args.iter().all(|a| allowed.contains(&a.as_str()));
    match basename(&first) {
        "env" if only_opts(&["-0", "--null"]) => Some("env"),
        "printenv" if only_opts(&["-0", "--null"]) => Some("printenv"),
        "export" if args.is_empty() || args == ["-p"] => Some("export -p"),
        "declare" | "typeset" if !args.is_empty() && only_opts(&["-p", "-x", "-px", "-xp"]) => {
            Some("declare -p")
        }
        "set" if args.is_empty() => Some("set"),
        _ => None,
    }
}

/// The shown name of a secret for messages.
fn shown(s: &Secret) -> String {
    format!("`{}`", s.shown)
}

fn xtrace_change(c: &Command<'_>) -> Option<bool> {
    let argv = c.argv();
    if argv.first().map(|w| w.text) != Some("set") {
        return None;
    }
    let mut state = None;
    for (i, w) in argv.iter().enumerate().skip(1) {
        let v = w.text;
        let next = argv.get(i + 1).map(|n| n.text);
        if v.len() > 1 && v.starts_with('-') && !v.starts_with("--") && v[1..].contains('x')
            || v == "-o" && next == Some("xtrace")
        {
            state = Some(true);
        }
        if v.len() > 1 && v.starts_with('+') && v[1..].contains('x')
            || v == "+o" && next == Some("xtrace")
        {
            state = Some(false);
        }
    }
    state
}

/// A shell run with tracing on a script file: `bash -x deploy.sh`.
fn traced_script<'a>(c: &Command<'a>) -> Option<Word<'a>> {
    let argv = c.argv();
    let prog = argv.first()?.value();
    if interpreter(&prog) != Some(crate::script::Lang::Shell) {
        return None;
    }
    let mut traced = false;
    for w in &argv[1..] {
        let v = w.value();
        if v.starts_with('-') && !v.starts_with("--") {
            if v.contains('c') {
                return None;
            }
            traced |= v.contains('x');
            continue;
        }
        return traced.then_some(*w);
    }
    None
}

fn analyse(cx: &Cx<'_, '_>, lines: &[Line<'_>], ctx: &Ctx<'_>, out: &mut Vec<Found>) {
    let severity = |s: &Secret| {
        if s.masked {
            ctx.masked_severity
        } else {
            Severity::High
        }
    };
    // Tracing: where it was turned on, and whether a secret was expanded while on.
    let mut trace_on: Option<(Span, bool)> = ctx.traced_from.map(|s| (s, false));
    for line in lines {
        let pipes: Vec<Pipe<'_>> = parse(line.text);
        for pipe in &pipes {
            let last = pipe.commands.last();
            let to_log = last.is_some_and(|l| !l.stdout_to_file());
            for (i, c) in pipe.commands.iter().enumerate() {
                // set -x / set +x
                match xtrace_change(c) {
                    Some(true) => {
                        if trace_on.is_none() {
                            trace_on = Some((line.span(cx, c.start, c.end), false));
                        }
                        continue;
                    }
                    Some(false) => {
                        trace_on = None;
                        continue;
                    }
                    None => {}
                }
                if let Some((at, reported)) = &mut trace_on {
                    if !*reported {
                        let used: Vec<(usize, usize, Secret)> = c
                            .words
                            .iter()
                            .flat_map(|w| word_secrets(w, ctx, true))
                            .filter(|(_, _, s)| {
                                !(s.masked && ctx.masked_severity == Severity::Info)
                            })
                            .collect();
                        if let Some((s, e, secret)) = used.into_iter().next() {
                            *reported = true;
                            let mut related =
                                vec![(line.span(cx, s, e), "expanded while tracing".to_owned())];
                            if let Some(d) = secret.defined {
                                related.push((d, "secret set here".to_owned()));
                            }
                            out.push(Found {
                                span: *at,
                                label: "tracing prints expanded commands",
                                message: format!(
                                    "shell tracing is on when a command expands {} ({}), so its value is written to the job log{}",
                                    shown(&secret),
                                    secret.why,
                                    if secret.masked { " where only its exact value is masked" } else { "" }
                                ),
                                severity: severity(&secret),
                                confidence: secret.confidence,
                                related,
                            });
                        }
                    }
                }
                // bash -x deploy.sh with secrets in the environment
                if let (Some(script), Some(secret)) = (traced_script(c), &ctx.env_secret) {
                    out.push(Found {
                        span: line.span(cx, c.start, c.end),
                        label: "traces a script with secrets in its environment",
                        message: format!(
                            "`{}` runs with shell tracing and {} in its environment, so any command in it that expands the secret writes it to the job log",
                            script.value(),
                            shown(secret)
                        ),
                        severity: severity(secret),
                        confidence: Confidence::Medium.min(secret.confidence),
                        related: secret.defined.map(|d| (d, "secret set here".to_owned())).into_iter().collect(),
                    });
                }
                // echo "$TOKEN" [| base64]
                let mut sources = printed(c, ctx);
                let from_here_string = here_strings(c, ctx);
                let rest_from = if from_here_string.is_empty() {
                    i + 1
                } else {
                    i
                };
                sources.extend(from_here_string);
                if sources.is_empty() || !to_log {
                    continue;
                }
                let rest = &pipe.commands[rest_from..];
                let encoder = rest.iter().find(|d| is_encoder(d));
                let passes = rest
                    .iter()
                    .all(|d| is_encoder(d) || PASS_THROUGH.contains(&program(d).as_str()));
                let (s, e, secret) = &sources[0];
                let mut related: Vec<(Span, String)> = secret
                    .defined
                    .map(|d| (d, "secret set here".to_owned()))
                    .into_iter()
                    .collect();
                if rest.is_empty() {
                    if secret.masked && ctx.masked_severity == Severity::Info {
                        continue;
                    }
                    out.push(Found {
                        span: line.span(cx, *s, *e),
                        label: "printed to the job log",
                        message: format!(
                            "`{}` prints {} ({}) to the job log{}",
                            program(c),
                            shown(secret),
                            secret.why,
                            if secret.masked {
                                ", where only its exact value is masked"
                            } else {
                                ""
                            }
                        ),
                        severity: severity(secret),
                        confidence: secret.confidence,
                        related,
                    });
                } else if let (Some(enc), true) = (encoder, passes) {
                    let (what, done) = if decodes(enc) {
                        ("decodes", "decoded")
                    } else {
                        ("encodes", "encoded")
                    };
                    let enc_line = line.span(cx, enc.start, enc.end);
                    related.insert(0, (enc_line, format!("{what} it")));
                    out.push(Found {
                        span: line.span(cx, *s, *e),
                        label: "reaches the job log transformed",
                        message: format!(
                            "{} ({}) is piped through `{}` to the job log, and the {done} value is not masked",
                            shown(secret),
                            secret.why,
                            program(enc)
                        ),
                        severity: Severity::High,
                        confidence: secret.confidence,
                        related,
                    });
                }
            }
            // env / printenv dumps
            if let (Some(first), Some(secret)) = (pipe.commands.first(), &ctx.env_secret) {
                if let Some(what) = dump(first) {
                    let filtered_away = pipe.commands[1..].iter().any(|d| {
                        let p = program(d);
                        !(PASS_THROUGH.contains(&p.as_str())
                            || matches!(p.as_str(), "grep" | "egrep" | "less" | "column"))
                            || p == "grep"
                                && d.argv()
                                    .iter()
                                    .any(|w| matches!(w.text, "-q" | "-c" | "-l"))
                    });
                    if to_log
                        && !filtered_away
                        && (!secret.masked || ctx.masked_severity > Severity::Info)
                    {
                        out.push(Found {
                            span: line.span(cx, first.start, first.end),
                            label: "dumps the environment",
                            message: format!(
                                "`{what}` prints every environment variable to the job log, including {} ({}){}",
                                shown(secret),
                                secret.why,
                                if secret.masked { ", whose exact value is masked but not transformed copies of it" } else { "" }
                            ),
                            severity: severity(secret),
                            confidence: secret.confidence,
                            related: secret.defined.map(|d| (d, "secret set here".to_owned())).into_iter().collect(),
                        });
                    }
                }
            }
        }
    }
}

fn emit(cx: &Cx<'_, '_>, found: Vec<Found>, out: &mut Vec<Finding>) {
    for f in found {
        let mut finding = cx
            .finding(&SecretsInLogs::INFO, f.span, f.label, f.message)
            .severity(f.severity)
            .confidence(f.confidence);
        for (span, label) in f.related {
            finding = finding.related(cx.loc(span, label));
        }
        out.push(finding);
    }
}

/// `env:` entries of the step, job and workflow whose value is a secret expression.
fn github_env_secrets<'a>(scope: Scope<'_, 'a>, step: &Step<'a>) -> Vec<(&'a str, &'a Node)> {
    let mut maps: Vec<&'a Node> = Vec::new();
    if let Some(e) = step.node.get("env") {
        maps.push(e);
    }
    if let Scope::Workflow { wf, job } = scope {
        maps.extend(job.node.get("env"));
        maps.extend(wf.root.get("env"));
    }
    let mut out: Vec<(&'a str, &'a Node)> = Vec::new();
    for m in maps {
        for (k, v) in m.entries() {
            let (Some(name), Some(value)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            if out.iter().any(|(n, _)| *n == name) {
                continue; // shadowed by a closer `env:`
            }
            if !inline_secrets(value).is_empty() {
                out.push((name, v));
            }
        }
    }
    out
}

fn gitlab_secret(pipeline: &Pipeline, job: &GlJob, name: &str) -> Option<Secret> {
    if crate::gitlab_taint::masked_builtin_credential(name) {
        return Some(Secret {
            shown: format!("${name}"),
            masked: true,
            confidence: Confidence::High,
            defined: None,
            why: "a token GitLab masks".into(),
        });
    }
    if let Some(t) = job.node.get("id_tokens").and_then(|t| t.entry(name)) {
        return Some(Secret {
            shown: format!("${name}"),
            masked: false,
            confidence: Confidence::Medium,
            defined: Some(t.0.span),
            why: "an ID token".into(),
        });
    }
    if !secret_name(name) {
        return None;
    }
    let defined = job
        .node
        .get("variables")
        .and_then(|v| v.entry(name))
        .or_else(|| pipeline.config.get("variables").and_then(|v| v.entry(name)));
    Some(match defined {
        Some((k, v)) => {
            let (value, _) = crate::gitlab_taint::variable_value(v);
            let literal = value
                .as_str()
                .is_some_and(|t| !t.trim_start().starts_with('$'));
            Secret {
                shown: format!("${name}"),
                masked: false,
                confidence: if literal {
                    Confidence::High
                } else {
                    Confidence::Medium
                },
                defined: Some(k.span),
                why: if literal {
                    "a secret-named variable set in the CI file, which GitLab never masks".into()
                } else {
                    "a secret-named variable".into()
                },
            }
        }
        None => Secret {
            shown: format!("${name}"),
            masked: false,
            confidence: Confidence::Medium,
            defined: None,
            why: "a secret-named variable, in clear unless masked in the project settings".into(),
        },
    })
}

/// `CI_DEBUG_TRACE` / `CI_DEBUG_SERVICES` set to true anywhere in the configuration.
fn debug_trace(cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
    let mut seen: HashSet<(u32, usize)> = HashSet::new();
    let mut visit = |n: &Node| {
        for (k, v) in n.entries() {
            let Some(name) = k.as_str() else { continue };
            if name != "CI_DEBUG_TRACE" && name != "CI_DEBUG_SERVICES" {
                continue;
            }
            let (value, _) = crate::gitlab_taint::variable_value(v);
            let on = value.as_bool() == Some(true)
                || value
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("true"));
            if !on || !seen.insert((k.span.file, k.span.start)) {
                continue;
            }
            let what = if name == "CI_DEBUG_TRACE" {
                "every command the job runs and the values of all its variables, secrets included"
            } else {
                "the full logs of service containers, which often echo their credentials"
            };
            out.push(cx.finding(
                &SecretsInLogs::INFO,
                Span::new(k.span.file, k.span.start, v.span.end.max(k.span.end)),
                "debug logging enabled",
                format!("`{name}: \"true\"` writes to the job log {what}"),
            ));
        }
    };
    pipeline.config.walk(&mut |n| {
        if n.is_map() {
            visit(n);
        }
    });
    for j in &pipeline.jobs {
        if let Some(v) = j.node.get("variables") {
            visit(v);
        }
    }
}

impl Rule for SecretsInLogs {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        let Some(line) = github_line(step) else {
            return;
        };
        if github_shell(scope, step) != Shell::Posix {
            return;
        }
        let env = github_env_secrets(scope, step);
        let lookup = |name: &str| {
            env.iter().find(|(n, _)| *n == name).map(|(n, v)| Secret {
                shown: format!("${n}"),
                masked: true,
                confidence: Confidence::High,
                defined: Some(v.span),
                why: format!("set from `{}`", v.as_str().unwrap_or("").trim()),
            })
        };
        let traced_from = github_shell_value(scope, step).filter(|s| {
            s.as_str().is_some_and(|t| {
                t.split_whitespace()
                    .skip(1)
                    .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('x'))
            })
        });
        let ctx = Ctx {
            lookup: &lookup,
            inline: true,
            env_secret: env.first().and_then(|(n, _)| lookup(n)),
            traced_from: traced_from.map(|n| n.span),
            masked_severity: Severity::Medium,
        };
        let mut found = Vec::new();
        analyse(cx, &[line], &ctx, &mut found);
        emit(cx, found, out);
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        debug_trace(cx, pipeline, out);
        for job in &pipeline.jobs {
            self.gitlab_job(cx, pipeline, job, out);
        }
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        let lines = gitlab_lines(job);
        let lookup = |name: &str| gitlab_secret(pipeline, job, name);
        // A secret in the job's environment: its own or global secret-named variables, ID tokens,
        // or secret-named variables its scripts use.
        let mut env_secret = None;
        let defined = job
            .node
            .get("variables")
            .into_iter()
            .chain(pipeline.config.get("variables"))
            .flat_map(|v| v.entries().iter())
            .chain(
                job.node
                    .get("id_tokens")
                    .into_iter()
                    .flat_map(|t| t.entries().iter()),
            )
            .filter_map(|(k, _)| k.as_str());
        for name in defined {
            if let Some(s) = lookup(name).filter(|s| !s.masked) {
                env_secret = Some(s);
                break;
            }
        }
        if env_secret.is_none() {
            'outer: for line in &lines {
                for v in crate::taint::shell_vars(line.text) {
                    if let Some(s) = lookup(v).filter(|s| !s.masked) {
                        env_secret = Some(s);
                        break 'outer;
                    }
                }
            }
        }
        let ctx = Ctx {
            lookup: &lookup,
            inline: false,
            env_secret,
            traced_from: None,
            // GitLab masks these tokens reliably: only transformed copies leak.
            masked_severity: Severity::Info,
        };
        let mut found = Vec::new();
        analyse(cx, &lines, &ctx, &mut found);
        found.retain(|f| f.severity > Severity::Info);
        emit(cx, found, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Command<'_> {
        parse(s).remove(0).commands.remove(0)
    }

    #[test]
    fn tracing_switches() {
        assert_eq!(xtrace_change(&cmd("set -eux")), Some(true));
        assert_eq!(xtrace_change(&cmd("set -o xtrace")), Some(true));
        assert_eq!(xtrace_change(&cmd("set +x")), Some(false));
        assert_eq!(xtrace_change(&cmd("set -euo pipefail")), None);
        assert!(traced_script(&cmd("bash -ex ./deploy.sh")).is_some());
        assert!(traced_script(&cmd("bash -xc 'echo'")).is_none());
        assert!(traced_script(&cmd("bash deploy.sh")).is_none());
    }

    #[test]
    fn dumps() {
        assert_eq!(dump(&cmd("env")), Some("env"));
        assert_eq!(dump(&cmd("printenv")), Some("printenv"));
        assert_eq!(dump(&cmd("export -p")), Some("export -p"));
        assert_eq!(dump(&cmd("env FOO=1 make")), None);
        assert_eq!(dump(&cmd("printenv HOME")), None);
        assert_eq!(dump(&cmd("set -e")), None);
    }
}
