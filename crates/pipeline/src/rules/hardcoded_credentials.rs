use std::collections::HashSet;
use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::github::{Action, Workflow};
use crate::gitlab::Pipeline;
use crate::script::secret_name;
use crate::yaml::{Kind, Node};

declare_rule! {
    /// ## What it does
    /// Finds credentials written into pipeline files:
    /// - GitHub `container.credentials.password` and `services.*.credentials.password` that are
    ///   not an expression;
    /// - `env:` entries (workflow, job, step, container, service, composite step), step `with:`
    ///   inputs and reusable-workflow `secrets:` whose name looks secret (`*_TOKEN`,
    ///   `*_PASSWORD`, `*SECRET*`, `*_API_KEY`, `AWS_SECRET_ACCESS_KEY`...) and whose value is a
    ///   literal rather than `${{ secrets.X }}`;
    /// - GitLab `variables:` (global, job, service, rules) with such names and literal values;
    /// - well-known token formats anywhere in a value: GitHub (`ghp_`, `github_pat_`...), GitLab
    ///   (`glpat-`...), AWS access key ids, Slack, npm, PyPI, Google API keys, Stripe live keys,
    ///   private key blocks.
    ///
    /// Values that look like placeholders (`changeme`, `<your-token>`...) and passwords of
    /// throwaway service containers are reported at low severity and confidence; placeholder
    /// passwords of service containers (`POSTGRES_PASSWORD: postgres`) are not reported.
    /// The value itself never appears in the message.
    ///
    /// ## Why is this bad
    /// Everyone who can read the repository (and its forks, clones and history) has the
    /// credential; it cannot be rotated without a commit, GitLab never masks values written in the
    /// CI file, and a leaked token stays valid in every old commit.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   NPM_TOKEN: npm_AbCdEf0123456789AbCdEf0123456789AbCd
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// env:
    ///   NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
    /// ```
    /// On GitLab, define the variable in the project or group settings (masked and protected), or
    /// fetch it with `secrets:` / `id_tokens`. Revoke any credential that was committed.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions
    /// - https://docs.gitlab.com/ci/variables/#cicd-variable-security
    HardcodedCredentials {
        id: "hardcoded-credentials",
        title: "credential written in the pipeline file",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

struct TokenFormat {
    what: &'static str,
    re: LazyLock<Regex>,
}

macro_rules! token {
    ($what:literal, $re:literal) => {
        TokenFormat {
            what: $what,
            re: LazyLock::new(|| Regex::new($re).unwrap_or_else(|e| panic!("{}: {e}", $what))),
        }
    };
}

static TOKENS: [TokenFormat; 14] = [
    token!("GitHub personal access token", r"\bghp_[A-Za-z0-9]{36}\b"),
    token!("GitHub OAuth token", r"\bgho_[A-Za-z0-9]{36}\b"),
    token!(
        "GitHub app or refresh token",
        r"\bgh[usr]_[A-Za-z0-9]{36}\b"
    ),
    token!(
        "GitHub fine-grained personal access token",
        r"\bgithub_pat_[A-Za-z0-9_]{50,}"
    ),
    token!(
        "GitLab personal access token",
        r"\bglpat-[A-Za-z0-9_\-]{20,}"
    ),
    token!("GitLab deploy token", r"\bgldt-[A-Za-z0-9_\-]{20,}"),
    token!("GitLab runner token", r"\bglrt-[A-Za-z0-9_\-]{20,}"),
    token!("AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    token!("Slack token", r"\bxox[abprs]-[0-9A-Za-z\-]{10,}"),
    token!(
        "Slack webhook URL",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}"
    ),
    token!("npm access token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    token!("PyPI API token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    token!("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    token!(
        "private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    ),
];

static STRIPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b").unwrap_or_else(|e| panic!("stripe: {e}"))
});

/// Prefixes of variables that configure service containers (`POSTGRES_PASSWORD`): throwaway
/// databases of the job, not credentials of anything real.
const SERVICE_PREFIXES: [&str; 12] = [
    "POSTGRES", "PG", "MYSQL", "MARIADB", "MONGO", "MONGODB", "REDIS", "RABBITMQ", "MSSQL", "SA",
    "ELASTIC", "MINIO",
];

/// Values that are examples or defaults, not real credentials.
pub fn placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.chars().count() < 6 {
        return true;
    }
    let first = v.chars().next().unwrap_or(' ');
    if v.chars().all(|c| c == first) {
        return true;
    }
    const WORDS: [&str; 30] = [
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "example",
        "dummy",
        "placeholder",
        "fake",
        "sample",
        "your",
        "replace",
        "xxx",
        "***",
        "<",
        "todo",
        "redacted",
        "notreal",
        "not-a-real",
        "insecure",
        "test",
        "password",
        "passw0rd",
        "secret",
        "default",
        "postgres",
        "mysql",
        "admin",
        "guest",
        "localhost",
        "12345",
    ];
    WORDS.iter().any(|w| v.contains(w))
}

/// A value that is clearly not a credential: a number, a boolean, a path.
fn not_a_credential(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || matches!(
            t.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none"
        )
        || t.parse::<f64>().is_ok() && t.len() < 6
        || t.starts_with(['/', '~', '.', '$']) && !t.contains(' ')
}

/// Whether a value names a file rather than holding a secret: `gcp-key.json` for
/// `GOOGLE_APPLICATION_CREDENTIALS`, `kube/config` for `KUBECONFIG` (whose value is a path by
/// convention; an inline kubeconfig spans lines).
fn file_reference(name: &str, value: &str) -> bool {
    let t = value.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return false;
    }
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("KUBECONFIG") || upper.ends_with("KUBE_CONFIG") {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    [
        ".json",
        ".yaml",
        ".yml",
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".crt",
        ".conf",
        ".cfg",
        ".ini",
        ".txt",
        ".env",
        ".kubeconfig",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext) && lower.len() > ext.len())
}

struct Scan<'c, 'r, 'a> {
    cx: &'c Cx<'r, 'a>,
    /// Value nodes already reported (by a token format).
    seen: HashSet<(u32, usize)>,
    out: Vec<Finding>,
}

impl Scan<'_, '_, '_> {
    fn tokens(&mut self, root: &Node) {
        let mut hits: Vec<(&Node, String, usize, &'static str, bool)> = Vec::new();
        root.walk(&mut |n| {
            let Some(text) = n.as_str() else { return };
            if text.len() < 16 {
                return;
            }
            let mut found: Vec<(usize, usize, &'static str)> = Vec::new();
            for t in &TOKENS {
                for m in t.re.find_iter(text) {
                    found.push((m.start(), m.end(), t.what));
                }
            }
            for m in STRIPE.find_iter(text) {
                found.push((m.start(), m.end(), "Stripe live secret key"));
            }
            for (s, e, what) in found {
                let needle = &text[s..e];
                let nth = text
                    .match_indices(needle)
                    .take_while(|(i, _)| *i < s)
                    .count();
                let example = needle.to_ascii_uppercase().contains("EXAMPLE");
                hits.push((n, needle.to_owned(), nth, what, example));
            }
        });
        for (node, needle, nth, what, example) in hits {
            self.seen.insert((node.span.file, node.span.start));
            let span = self.cx.locate(node, &needle, nth);
            let mut message = format!(
                "a literal {what} is written in the pipeline file, readable by anyone with access to the repository and its history; revoke it and use a secret"
            );
            if example {
                message.push_str(" (it looks like a documentation example)");
            }
            let mut f = self
                .cx
                .finding(
                    &HardcodedCredentials::INFO,
                    span,
                    format!("literal {what}"),
                    message,
                )
                .secret(span);
            if example {
                f = f.severity(Severity::Low).confidence(Confidence::Low);
            } else if what.starts_with("AWS access key id") {
                // The id alone is not the secret, but its secret key is rarely far away.
                f = f.severity(Severity::Medium);
            }
            self.out.push(f);
        }
    }

    /// A literal value under a secret-looking name.
    fn named(&mut self, key: &Node, value: &Node, place: &str, service: bool) {
        let Some(name) = key.as_str() else { return };
        let Some(text) = value.as_str() else { return };
        if self.seen.contains(&(value.span.file, value.span.start))
            || not_a_credential(text)
            || file_reference(name, text)
            || text.contains("${{")
        {
            return;
        }
        let prefix = name
            .to_ascii_uppercase()
            .split(['_', '-'])
            .next()
            .unwrap_or("")
            .to_owned();
        let service = service || SERVICE_PREFIXES.contains(&prefix.as_str());
        if service && placeholder(text) {
            return; // `POSTGRES_PASSWORD: postgres` for the job's throwaway database
        }
        let (severity, confidence, why) = if service {
            (
                Severity::Low,
                Confidence::Low,
                "; it seems to configure a throwaway service container, which is fine if it protects nothing else",
            )
        } else if placeholder(text) {
            (
                Severity::Low,
                Confidence::Low,
                "; the value looks like a placeholder, which is fine if it is never replaced by a real one here",
            )
        } else {
            (
                Severity::High,
                Confidence::High,
                "; store it as a secret and revoke the committed one",
            )
        };
        let mut span = Span::new(
            key.span.file,
            key.span.start,
            value.span.end.max(key.span.end),
        );
        if self.cx.text(span).contains('\n') {
            span = value.span; // `NAME: {value: ...}` or a block scalar: the value itself
        }
        self.out.push(
            self.cx
                .finding(
                    &HardcodedCredentials::INFO,
                    span,
                    "literal credential",
                    format!(
                        "`{name}` is set to a literal value in {place}, so the credential is readable by anyone with access to the repository{why}"
                    ),
                )
                .severity(severity)
                .confidence(confidence)
                .secret(value.span),
        );
    }

    fn named_map(&mut self, map: &Node, place: &str, service: bool, all: bool) {
        for (k, v) in map.entries() {
            if k.as_str().is_some_and(|n| all || secret_name(n)) {
                self.named(k, v, place, service);
            }
        }
    }

    /// GitHub: `env:`, `with:`, `secrets:` and `credentials:` anywhere in a workflow or action.
    fn github(&mut self, node: &Node, service: bool, in_job: bool) {
        let Kind::Map(entries) = &node.kind else {
            for i in node.items() {
                self.github(i, service, in_job);
            }
            return;
        };
        for (k, v) in entries {
            match k.as_str() {
                Some("env") if v.is_map() => self.named_map(v, "`env:`", service, false),
                Some("with") if v.is_map() => self.named_map(v, "a step's `with:`", false, false),
                Some("secrets") if in_job && v.is_map() => self.named_map(
                    v,
                    "the `secrets:` passed to a reusable workflow",
                    false,
                    true,
                ),
                Some("credentials") if v.is_map() => {
                    if let Some((pk, pv)) = v.entry("password") {
                        let text = pv.as_str().unwrap_or("");
                        if !text.contains("${{") && !text.trim().is_empty() {
                            self.named(pk, pv, "the registry `credentials:` of a container", false);
                        }
                    }
                }
                Some("services") => self.github(v, true, in_job),
                Some("jobs") => {
                    for (_, job) in v.entries() {
                        self.github(job, false, true);
                    }
                }
                Some("on") | Some("true") => {}
                _ => self.github(v, service, in_job),
            }
        }
    }

    /// GitLab: every `variables:` map in the configuration.
    fn gitlab(&mut self, node: &Node, service: bool) {
        match &node.kind {
            Kind::Map(entries) => {
                for (k, v) in entries {
                    match k.as_str() {
                        Some("variables") if v.is_map() => {
                            for (vk, vv) in v.entries() {
                                if !vk.as_str().is_some_and(secret_name) {
                                    continue;
                                }
                                let (value, expand) = crate::gitlab_taint::variable_value(vv);
                                let text = value.as_str().unwrap_or("");
                                // `$OTHER`, `Bearer ${OTHER}`: built from other (settings) variables.
                                let reference =
                                    expand && !crate::taint::shell_vars(text).is_empty();
                                if !reference {
                                    self.named(vk, value, "`variables:`", service);
                                }
                            }
                        }
                        Some("services") => self.gitlab(v, true),
                        Some("spec") => {}
                        _ => self.gitlab(v, service),
                    }
                }
            }
            Kind::Seq(items) => items.iter().for_each(|i| self.gitlab(i, service)),
            Kind::Scalar(..) => {}
        }
    }
}

impl Rule for HardcodedCredentials {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let mut scan = Scan {
            cx,
            seen: HashSet::new(),
            out: Vec::new(),
        };
        scan.tokens(wf.root);
        scan.github(wf.root, false, false);
        out.extend(scan.out);
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        let mut scan = Scan {
            cx,
            seen: HashSet::new(),
            out: Vec::new(),
        };
        scan.tokens(action.root);
        scan.github(action.root, false, false);
        out.extend(scan.out);
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let mut scan = Scan {
            cx,
            seen: HashSet::new(),
            out: Vec::new(),
        };
        scan.tokens(&pipeline.config);
        scan.gitlab(&pipeline.config, false);
        if let Some(spec) = &pipeline.spec {
            scan.tokens(spec);
        }
        out.extend(scan.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for v in [
            "changeme",
            "postgres",
            "<your-token>",
            "xxxxxxxx",
            "test123",
            "abc",
        ] {
            assert!(placeholder(v), "{v}");
        }
        for v in ["k8Jq2LmZ9vR4tY", "hunter2hunter2"] {
            assert!(!placeholder(v), "{v}");
        }
    }

    #[test]
    fn file_references() {
        assert!(file_reference(
            "GOOGLE_APPLICATION_CREDENTIALS",
            "gcp-key.json"
        ));
        assert!(file_reference("KUBECONFIG", "kube/config"));
        assert!(file_reference("PROD_KUBECONFIG", "prod"));
        assert!(!file_reference(
            "KUBECONFIG",
            "apiVersion: v1\nclusters: []"
        ));
        assert!(!file_reference("DB_PASSWORD", "hunter2hunter2"));
        assert!(!file_reference("API_TOKEN", "aB3/dE+fG=="));
    }

    #[test]
    fn token_formats() {
        let hit = |s: &str| TOKENS.iter().any(|t| t.re.is_match(s)) || STRIPE.is_match(s);
        assert!(hit(&format!("ghp_{}", "a1B2".repeat(9))));
        assert!(hit(&format!("token glpat-{}", "x9Y8".repeat(5))));
        assert!(hit("AKIAZ7QWERTYUIOPASDF"));
        assert!(hit("-----BEGIN OPENSSH PRIVATE KEY-----"));
        assert!(!hit("ghp_short"));
        assert!(!hit("AKIA-not-a-key"));
    }
}
