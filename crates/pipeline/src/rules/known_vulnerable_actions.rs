use chainproof_core::{Confidence, Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::github::{RefVersion, Uses, is_commit_sha, parse_version, ref_version};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds actions used at a version that a published security advisory lists as affected, from
    /// a table bundled with chainproof (no network access). The table names the advisory ids
    /// (GHSA and CVE) and the affected versions; it covers the well-known cases, among them the
    /// March 2025 tj-actions/changed-files and reviewdog tag compromises, the March 2026
    /// aquasecurity/trivy-action compromise, and injection, path-traversal and secret-exposure
    /// bugs in popular actions.
    ///
    /// Only version tags can be judged offline. An exact version (`@v4.1.2`) is matched against
    /// the affected range. A moving major or minor tag (`@v4`, `@v4.1`) points at the newest
    /// release of its series, so it is reported only when no release of that series is fixed.
    /// A commit SHA is judged by the version in its comment (`@<sha> # v4.1.2`, as pinning
    /// tools write it), at medium confidence since nothing checks the comment; compromised-tag
    /// advisories do not apply to SHA pins (the pinned commit is not the repointed tag).
    /// Branches and uncommented SHAs are not reported (the `unpinned-uses` rule covers branches).
    ///
    /// ## Why is this bad
    /// The advisory describes how the action can leak your secrets or let an attacker run code in
    /// your workflow. For compromised tags the tag has since been repaired, but workflows that ran
    /// during the incident printed or sent their secrets, and a tag that was moved once can be
    /// moved again.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: actions/download-artifact@v4.1.2   # GHSA-cxww-7g56-2vh6, path traversal
    /// - uses: tj-actions/changed-files@v45       # GHSA-mrrh-fwg8-r2c3, compromised tags
    /// ```
    ///
    /// ## Use instead
    /// Upgrade to a fixed release and pin its commit SHA:
    /// ```yaml
    /// - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
    /// ```
    /// If a compromised version ran in your workflows during the incident window, rotate every
    /// secret those jobs could read.
    ///
    /// ## References
    /// - https://github.com/advisories?query=ecosystem%3Aactions
    /// - https://github.com/advisories/GHSA-mrrh-fwg8-r2c3
    /// - https://github.com/advisories/GHSA-qmg3-hpqr-gqvc
    KnownVulnerableActions {
        id: "known-vulnerable-actions",
        title: "action version with a published security advisory",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// Which refs an advisory affects.
enum Affected {
    /// Versions in `[introduced, fixed)`; `introduced` empty means from the first release.
    Range {
        introduced: &'static str,
        fixed: &'static str,
    },
    /// Exact (mutable) tags that were repointed to malicious code.
    Tags(&'static [&'static str]),
}

struct Advisory {
    /// `owner/repo`, lower-case; sub-paths (`github/codeql-action/init`) match too.
    action: &'static str,
    /// GHSA id first, then CVE (if any).
    ids: &'static [&'static str],
    affected: &'static [Affected],
    severity: Severity,
    /// What the advisory is about, in a few words.
    summary: &'static str,
    /// First fixed release, for the message (`None`: pin a SHA checked after the incident).
    fixed_in: Option<&'static str>,
}

/// Bundled advisories (GitHub Advisory Database, ecosystem `actions`). Keep entries to advisories
/// whose affected versions are unambiguous.
static ADVISORIES: &[Advisory] = &[
    Advisory {
        action: "tj-actions/changed-files",
        ids: &["GHSA-mrrh-fwg8-r2c3", "CVE-2025-30066"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "46.0.1",
        }],
        severity: Severity::High,
        summary: "compromised tags: every tag up to v45.0.7 was repointed on 2025-03-14/15 to code that printed the runner's secrets into the workflow log",
        fixed_in: Some("46.0.1"),
    },
    Advisory {
        action: "tj-actions/changed-files",
        ids: &["GHSA-mcph-m25j-8j63", "CVE-2023-51664"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "41.0.0",
        }],
        severity: Severity::High,
        summary: "command injection: file names with shell metacharacters reach its outputs unescaped",
        fixed_in: Some("41.0.0"),
    },
    Advisory {
        action: "tj-actions/branch-names",
        ids: &["GHSA-8v8w-v8xg-79rf", "CVE-2023-49291"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "7.0.7",
        }],
        severity: Severity::Critical,
        summary: "code injection: branch names reach its script unsanitised",
        fixed_in: Some("7.0.7"),
    },
    Advisory {
        action: "tj-actions/branch-names",
        ids: &["GHSA-gq52-6phf-x2r6", "CVE-2025-54416"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "9.0.0",
        }],
        severity: Severity::Critical,
        summary: "command injection: branch names are unescaped with `eval printf`",
        fixed_in: Some("9.0.0"),
    },
    Advisory {
        action: "tj-actions/verify-changed-files",
        ids: &["GHSA-ghm2-rq8q-wrhc", "CVE-2023-52137"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "17.0.0",
        }],
        severity: Severity::High,
        summary: "command injection: file names with shell metacharacters reach its outputs unescaped",
        fixed_in: Some("17.0.0"),
    },
    Advisory {
        action: "reviewdog/action-setup",
        ids: &["GHSA-qmg3-hpqr-gqvc", "CVE-2025-30154"],
        affected: &[Affected::Tags(&["v1"])],
        severity: Severity::High,
        summary: "compromised tag: `v1` was repointed on 2025-03-11, 18:42-20:31 UTC, to code that printed the runner's secrets into the workflow log",
        fixed_in: None,
    },
    Advisory {
        action: "actions/download-artifact",
        ids: &["GHSA-cxww-7g56-2vh6", "CVE-2024-42471"],
        affected: &[Affected::Range {
            introduced: "4.0.0",
            fixed: "4.1.3",
        }],
        severity: Severity::High,
        summary: "path traversal: a crafted artifact can write files outside the destination directory",
        fixed_in: Some("4.1.3"),
    },
    Advisory {
        action: "dawidd6/action-download-artifact",
        ids: &["GHSA-5xr6-xhww-33m4"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "6.0.0",
        }],
        severity: Severity::High,
        summary: "artifact poisoning: it searches forks for artifacts by default, so a fork can supply the artifact",
        fixed_in: Some("6.0.0"),
    },
    Advisory {
        action: "gradle/gradle-build-action",
        ids: &["GHSA-h3qr-39j9-4r5v", "CVE-2023-30853"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "2.4.2",
        }],
        severity: Severity::High,
        summary: "secret exposure: the configuration cache can save secrets from environment variables into the GitHub Actions cache",
        fixed_in: Some("2.4.2"),
    },
    Advisory {
        action: "rlespinasse/github-slug-action",
        ids: &["GHSA-6q4m-7476-932w", "CVE-2023-27581"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "4.4.1",
        }],
        severity: Severity::High,
        summary: "command injection: branch names are interpolated into its scripts",
        fixed_in: Some("4.4.1"),
    },
    Advisory {
        action: "hashicorp/vault-action",
        ids: &["GHSA-4mgv-m5cm-f9h7", "CVE-2021-32074"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "2.2.0",
        }],
        severity: Severity::High,
        summary: "secret exposure: multi-line secrets are not fully masked in the workflow log",
        fixed_in: Some("2.2.0"),
    },
    Advisory {
        action: "check-spelling/check-spelling",
        ids: &["GHSA-g86g-chm8-7r2p", "CVE-2021-32724"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "0.0.19",
        }],
        severity: Severity::Critical,
        summary: "token exposure: a pull request with crafted symlinks can leak the GITHUB_TOKEN",
        fixed_in: Some("0.0.19"),
    },
    Advisory {
        action: "atlassian/gajira-create",
        ids: &["GHSA-4xqx-pqpj-9fqw", "CVE-2020-14188"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "2.0.1",
        }],
        severity: Severity::Critical,
        summary: "code injection: a crafted issue can run code in the workflow",
        fixed_in: Some("2.0.1"),
    },
    Advisory {
        action: "github/codeql-action",
        ids: &["GHSA-vqf5-2xx6-9wfm", "CVE-2025-24362"],
        affected: &[
            Affected::Range {
                introduced: "3.26.11",
                fixed: "3.28.3",
            },
            Affected::Range {
                introduced: "2.26.11",
                fixed: "3.0.0",
            },
        ],
        severity: Severity::High,
        summary: "secret exposure: debug artifacts of a failed run can hold the job's environment, secrets and GITHUB_TOKEN included",
        fixed_in: Some("3.28.3"),
    },
    Advisory {
        action: "aquasecurity/trivy-action",
        ids: &["GHSA-69fq-xp46-6x23", "CVE-2026-33634"],
        affected: &[Affected::Range {
            introduced: "",
            fixed: "0.35.0",
        }],
        severity: Severity::High,
        summary: "compromised tags: the tags before 0.35.0 were repointed on 2026-03-19/20 to a credential stealer",
        fixed_in: Some("0.35.0"),
    },
    Advisory {
        action: "xygeni/xygeni-action",
        ids: &["GHSA-f8q5-h5qh-33mh"],
        affected: &[Affected::Tags(&["v5"])],
        severity: Severity::High,
        summary: "compromised tag: `v5` pointed to malicious code in March 2026 and was deleted",
        fixed_in: Some("6.4.0"),
    },
];

fn full(v: &[u64]) -> [u64; 4] {
    let mut out = [0; 4];
    for (o, x) in out.iter_mut().zip(v) {
        *o = *x;
    }
    out
}

/// Whether the ref `version` (possibly a moving `v4` / `v4.1` tag) is in `[introduced, fixed)`.
fn in_range(version: &[u64], introduced: &str, fixed: &str) -> bool {
    let lo = full(version);
    let intro = parse_version(introduced).map_or([0; 4], |v| full(&v));
    let Some(fixed) = parse_version(fixed).map(|v| full(&v)) else {
        return false;
    };
    if version.len() >= 3 {
        return lo >= intro && lo < fixed;
    }
    // A moving tag resolves to the newest release of its series `[lo, hi)`: affected when the
    // series holds affected releases and none is fixed.
    let mut hi = lo;
    if let Some(last) = version.len().checked_sub(1) {
        hi[last] += 1;
    }
    intro < hi && fixed >= hi
}

impl Advisory {
    /// Tags repointed to malicious code (rather than a bug in the action's code).
    fn compromised(&self) -> bool {
        self.summary.starts_with("compromised")
    }
}

fn matches(a: &Advisory, git_ref: &str) -> bool {
    a.affected.iter().any(|aff| match aff {
        Affected::Tags(tags) => tags.iter().any(|t| t.eq_ignore_ascii_case(git_ref)),
        Affected::Range { introduced, fixed } => {
            parse_version(git_ref).is_some_and(|v| in_range(&v, introduced, fixed))
        }
    })
}

/// Whether a commit pinned with a version comment is affected: code bugs follow the version;
/// compromised tags do not apply (the pinned commit is not the repointed tag).
fn matches_comment(a: &Advisory, version: &RefVersion) -> bool {
    !a.compromised()
        && a.affected.iter().any(|aff| match aff {
            Affected::Tags(_) => false,
            Affected::Range { introduced, fixed } => in_range(&version.parts, introduced, fixed),
        })
}

impl KnownVulnerableActions {
    fn check(&self, cx: &Cx<'_, '_>, node: &Node, out: &mut Vec<Finding>) {
        let Some(text) = node.as_str() else { return };
        let Some(Uses::Repo {
            owner,
            repo,
            git_ref: Some(git_ref),
            ..
        }) = Uses::parse(text)
        else {
            return;
        };
        let git_ref = git_ref.trim();
        let name = format!("{owner}/{repo}").to_ascii_lowercase();
        // A commit SHA is judged by the version its comment names, if any.
        let commented = is_commit_sha(git_ref)
            .then(|| ref_version(git_ref, cx.trailing_comment(node)))
            .flatten();
        let hits: Vec<&Advisory> = ADVISORIES
            .iter()
            .filter(|a| a.action == name)
            .filter(|a| match &commented {
                Some(v) => matches_comment(a, v),
                None => matches(a, git_ref),
            })
            .collect();
        let Some(worst) = hits.iter().max_by_key(|a| a.severity) else {
            return;
        };
        let moving = parse_version(git_ref).is_some_and(|v| v.len() < 3);
        let details: Vec<String> = hits
            .iter()
            .map(|a| format!("{} ({})", a.ids.join(", "), a.summary))
            .collect();
        let fixed = hits
            .iter()
            .filter_map(|a| a.fixed_in)
            .filter_map(|f| parse_version(f).map(|v| (full(&v), f)))
            .max()
            .map(|(_, f)| f);
        let remedy = match fixed {
            Some(f) => format!("upgrade to {f} or later and pin its commit SHA"),
            None => "pin the full commit SHA of a release reviewed after the incident".to_owned(),
        };
        let compromised = hits.iter().any(|a| a.compromised());
        let rotate = if compromised {
            "; if it ran during the incident, rotate every secret its jobs could read"
        } else {
            ""
        };
        let written = text.trim();
        let per_comment = match &commented {
            Some(v) => {
                let shown: Vec<String> = v.parts.iter().map(u64::to_string).collect();
                format!(" (v{} according to its comment)", shown.join("."))
            }
            None => String::new(),
        };
        let message = format!(
            "`{written}`{per_comment} is affected by {}; {remedy}{rotate}",
            details.join("; ")
        );
        let label = match hits.as_slice() {
            [one] => format!(
                "{} applies",
                one.ids.first().copied().unwrap_or("an advisory")
            ),
            more => format!("{} advisories apply", more.len()),
        };
        let span = cx.locate(node, written, 0);
        out.push(
            cx.finding(&Self::INFO, span, label, message)
                .severity(worst.severity)
                .confidence(if moving || commented.is_some() {
                    Confidence::Medium
                } else {
                    Confidence::High
                }),
        );
    }
}

impl Rule for KnownVulnerableActions {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn uses(&self, cx: &Cx<'_, '_>, uses: &Node, _job_call: bool, out: &mut Vec<Finding>) {
        self.check(cx, uses, out);
    }
}

#[cfg(test)]
mod tests {
    use super::{ADVISORIES, matches, parse_version};

    fn affected(action: &str, r: &str) -> bool {
        ADVISORIES
            .iter()
            .any(|a| a.action == action && matches(a, r))
    }

    #[test]
    fn versions_and_moving_tags() {
        assert_eq!(parse_version("v4.1.2"), Some(vec![4, 1, 2]));
        assert_eq!(parse_version("0.0.18"), Some(vec![0, 0, 18]));
        assert_eq!(parse_version("v35.7.7-sec"), Some(vec![35, 7, 7]));
        assert_eq!(parse_version("main"), None);

        assert!(affected("actions/download-artifact", "v4.1.2"));
        assert!(affected("actions/download-artifact", "v4.0.0"));
        assert!(!affected("actions/download-artifact", "v4.1.3"));
        assert!(
            !affected("actions/download-artifact", "v4"),
            "v4 moves to a fixed release"
        );
        assert!(!affected("actions/download-artifact", "v3"));
        assert!(
            !affected("actions/download-artifact", "v4.1"),
            "4.1.3 is in the 4.1 series"
        );
        assert!(
            affected("actions/download-artifact", "v4.0"),
            "no 4.0.x release is fixed"
        );

        assert!(affected("tj-actions/changed-files", "v45"));
        assert!(affected("tj-actions/changed-files", "v45.0.7"));
        assert!(affected("tj-actions/changed-files", "v46.0.0"));
        assert!(!affected("tj-actions/changed-files", "v46"));
        assert!(!affected("tj-actions/changed-files", "v46.0.1"));

        assert!(affected("reviewdog/action-setup", "v1"));
        assert!(!affected("reviewdog/action-setup", "v1.3.0"));

        assert!(affected("github/codeql-action", "v3.27.0"));
        assert!(!affected("github/codeql-action", "v3"));
        assert!(affected("github/codeql-action", "v2"));
        assert!(!affected("github/codeql-action", "v3.25.0"));

        assert!(affected("tj-actions/branch-names", "v8"));
        assert!(!affected("tj-actions/branch-names", "v9"));
        assert!(affected("check-spelling/check-spelling", "v0.0.18"));
        assert!(!affected("check-spelling/check-spelling", "v0.0.19"));
        assert!(affected("aquasecurity/trivy-action", "0.28.0"));
        assert!(!affected("aquasecurity/trivy-action", "0.35.0"));
    }
}
