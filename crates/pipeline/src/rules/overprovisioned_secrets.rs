use std::sync::LazyLock;

use chainproof_core::Finding;
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::expr::find_exprs;
use crate::github::{Action, Workflow};
use crate::yaml::{Kind, Node};

declare_rule! {
    /// ## What it does
    /// Finds expressions that reach every secret at once: `toJSON(secrets)` and `secrets[...]`
    /// indexed with a computed name (`secrets[format('{0}_TOKEN', matrix.env)]`,
    /// `secrets[inputs.name]`), in `${{ }}` anywhere in a workflow or action and in `if:`
    /// conditions. `secrets['NAME']` with a literal name is fine.
    ///
    /// ## Why is this bad
    /// GitHub only sends a job the secrets its expressions name. `toJSON(secrets)` or a dynamic
    /// index makes it send all of them, so a compromised step, action or script in that job can
    /// read every secret of the repository and organization instead of the one it needed, and
    /// reviewers can no longer see which secrets a job uses.
    ///
    /// ## Example
    /// ```yaml
    /// - run: ./deploy.sh
    ///   env:
    ///     ALL_SECRETS: ${{ toJSON(secrets) }}
    ///     TOKEN: ${{ secrets[format('{0}_TOKEN', matrix.target)] }}
    /// ```
    ///
    /// ## Use instead
    /// Name each secret the step needs (`${{ secrets.PROD_TOKEN }}`), or select it per
    /// deployment with an `environment:` whose secrets have the same name.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions
    /// - https://docs.zizmor.sh/audits/#overprovisioned-secrets
    OverprovisionedSecrets {
        id: "overprovisioned-secrets",
        title: "every secret made available to a job",
        severity: Medium,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

static TO_JSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\btojson\s*\(\s*secrets\s*\)").unwrap_or_else(|e| panic!("toJSON: {e}"))
});

static INDEX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bsecrets\s*\[\s*([^\]]*?)\s*\]").unwrap_or_else(|e| panic!("index: {e}"))
});

/// Byte ranges (in `text`) of over-broad secret access, with what was found.
fn broad_access(text: &str, whole_is_expression: bool) -> Vec<(usize, usize, &'static str)> {
    let mut ranges: Vec<(usize, usize)> =
        find_exprs(text).iter().map(|e| (e.start, e.end)).collect();
    if whole_is_expression && ranges.is_empty() {
        ranges.push((0, text.len()));
    }
    let mut out = Vec::new();
    for (s, e) in ranges {
        let inner = &text[s..e];
        for m in TO_JSON.find_iter(inner) {
            out.push((s + m.start(), s + m.end(), "to_json"));
        }
        for c in INDEX.captures_iter(inner) {
            let (Some(m), Some(idx)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let i = idx.as_str();
            let literal = i.len() >= 2
                && i.starts_with('\'')
                && i.ends_with('\'')
                && !i[1..i.len() - 1].contains('\'');
            if !literal {
                out.push((s + m.start(), s + m.end(), "index"));
            }
        }
    }
    out
}

fn scan(cx: &Cx<'_, '_>, node: &Node, key: Option<&str>, out: &mut Vec<Finding>) {
    match &node.kind {
        Kind::Scalar(..) => {
            let Some(text) = node.as_str() else { return };
            for (s, e, what) in broad_access(text, key == Some("if")) {
                let needle = &text[s..e];
                let nth = text
                    .match_indices(needle)
                    .take_while(|(i, _)| *i < s)
                    .count();
                let message = if what == "to_json" {
                    format!(
                        "`{needle}` makes every secret of the repository and organization available to this job, not just the ones it uses"
                    )
                } else {
                    format!(
                        "`{needle}` picks a secret by a computed name, so GitHub makes every secret available to this job"
                    )
                };
                out.push(cx.finding(
                    &OverprovisionedSecrets::INFO,
                    cx.locate(node, needle, nth),
                    "all secrets exposed",
                    message,
                ));
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| scan(cx, i, None, out)),
        Kind::Map(entries) => {
            for (k, v) in entries {
                scan(cx, v, k.as_str(), out);
            }
        }
    }
}

impl Rule for OverprovisionedSecrets {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        scan(cx, wf.root, None, out);
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        scan(cx, action.root, None, out);
    }
}

#[cfg(test)]
mod tests {
    use super::broad_access;

    #[test]
    fn finds_broad_access() {
        assert_eq!(broad_access("${{ toJSON(secrets) }}", false).len(), 1);
        assert_eq!(broad_access("${{ tojson( secrets ) }}", false).len(), 1);
        assert_eq!(broad_access("${{ secrets[matrix.name] }}", false).len(), 1);
        assert_eq!(
            broad_access("${{ secrets[format('{0}_X', inputs.env)] }}", false).len(),
            1
        );
        assert_eq!(broad_access("toJSON(secrets) != '{}'", true).len(), 1);
        assert!(broad_access("${{ secrets['NPM_TOKEN'] }}", false).is_empty());
        assert!(broad_access("${{ secrets.NPM_TOKEN }}", false).is_empty());
        assert!(broad_access("${{ toJSON(github) }}", false).is_empty());
        assert!(broad_access("echo toJSON(secrets)", false).is_empty());
    }
}
