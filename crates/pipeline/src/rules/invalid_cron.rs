use chainproof_core::{Finding, Span};

use super::{Cx, Rule, declare_rule};
use crate::github::Workflow;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Checks every `on.schedule[].cron` of a GitHub workflow: exactly five fields (minute, hour,
    /// day of month, month, day of week), values in range (0-59, 0-23, 1-31, 1-12 or `JAN`-`DEC`,
    /// 0-6 or `SUN`-`SAT`), well-formed lists (`,`), ranges (`-`, not wrapping around) and steps
    /// (`/`, not zero), no extensions GitHub does not support (`?`, `L`, `W`, `#`, `@daily`,
    /// a seconds or year field), and schedules that can never fire (`0 0 30 2 *`).
    ///
    /// GitLab has no schedule syntax in `.gitlab-ci.yml` (pipeline schedules are project
    /// settings), so this rule is GitHub-only.
    ///
    /// ## Why is this bad
    /// An invalid schedule makes GitHub reject the workflow file; a schedule that never fires
    /// silently disables whatever it was meant to run (nightly security scans, dependency
    /// updates, stale-branch cleanup).
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   schedule:
    ///     - cron: "0 0 * * 7"
    ///     - cron: "*/0 * * * *"
    ///     - cron: "@daily"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on:
    ///   schedule:
    ///     - cron: "0 0 * * 0"
    ///     - cron: "*/15 * * * *"
    ///     - cron: "0 0 * * *"
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#schedule
    /// - https://pubs.opengroup.org/onlinepubs/9699919799/utilities/crontab.html
    InvalidCron {
        id: "invalid-cron",
        title: "invalid or never-firing cron schedule",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// A problem at `offset..offset+len` of the cron text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &DAYS,
    },
];

fn cerr(offset: usize, len: usize, message: impl Into<String>) -> CronError {
    CronError {
        offset,
        len: len.max(1),
        message: message.into(),
    }
}

/// One value of a field: a number or (month, weekday) a three-letter name.
fn value(f: &Field, s: &str, at: usize) -> Result<u32, CronError> {
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(f.min + i as u32);
    }
    let Ok(v) = s.parse::<u32>() else {
        let hint = if s.chars().all(|c| c.is_ascii_alphabetic()) && !f.names.is_empty() {
            format!(" (names are three letters: {})", f.names.join(", "))
        } else if matches!(s, "?" | "L" | "W") || s.contains(['#', 'L', 'W']) {
            " (`?`, `L`, `W` and `#` are Quartz extensions that GitHub's POSIX cron does not support)"
                .to_owned()
        } else {
            String::new()
        };
        return Err(cerr(
            at,
            s.len(),
            format!("`{s}` is not a valid {} value{hint}", f.name),
        ));
    };
    if v < f.min || v > f.max {
        let extra = if f.name == "day of week" && v == 7 {
            "; use 0 (or SUN) for Sunday"
        } else {
            ""
        };
        return Err(cerr(
            at,
            s.len(),
            format!(
                "{} `{v}` is out of range ({}-{}){extra}",
                f.name, f.min, f.max
            ),
        ));
    }
    Ok(v)
}

/// Parse one field into the set of values it matches (bit `v` set for value `v`).
fn field(f: &Field, text: &str, at: usize) -> Result<u64, CronError> {
    let mut set = 0u64;
    let mut offset = at;
    for item in text.split(',') {
        let item_at = offset;
        offset += item.len() + 1;
        if item.is_empty() {
            return Err(cerr(
                item_at,
                1,
                format!("empty list item in the {} field", f.name),
            ));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let s_at = item_at + r.len() + 1;
                let step: u32 = s.parse().map_err(|_| {
                    cerr(
                        s_at,
                        s.len(),
                        format!("step `{s}` in the {} field is not a number", f.name),
                    )
                })?;
                if step == 0 {
                    return Err(cerr(
                        s_at,
                        s.len(),
                        format!("a step of 0 in the {} field never advances", f.name),
                    ));
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (f.min, f.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let lo = value(f, a, item_at)?;
            let hi = value(f, b, item_at + a.len() + 1)?;
            if lo > hi {
                return Err(cerr(
                    item_at,
                    range.len(),
                    format!(
                        "range `{range}` in the {} field runs backwards; cron ranges do not wrap around (write `{a}-{},{}-{b}`)",
                        f.name, f.max, f.min
                    ),
                ));
            }
            (lo, hi)
        } else {
            let v = value(f, range, item_at)?;
            // `5/15` means "from 5 to the end, every 15".
            (v, if item.contains('/') { f.max } else { v })
        };
        let mut v = lo;
        while v <= hi {
            set |= 1u64 << v;
            v += step;
        }
    }
    Ok(set)
}

/// Days in each month (February with 29, so leap years count).
const MONTH_DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Check a five-field cron expression as GitHub accepts it.
pub(crate) fn check_cron(text: &str) -> Result<(), CronError> {
    let trimmed = text.trim();
    let lead = text.len() - text.trim_start().len();
    if trimmed.is_empty() {
        return Err(cerr(0, text.len(), "empty cron expression"));
    }
    if trimmed.starts_with('@') {
        return Err(cerr(
            lead,
            trimmed.len(),
            format!(
                "`{trimmed}` macros are not supported by GitHub; write the five fields (for example `0 0 * * *` for daily)"
            ),
        ));
    }
    let mut fields: Vec<(usize, &str)> = Vec::new();
    let mut i = 0;
    for part in text.split([' ', '\t']) {
        if !part.is_empty() {
            fields.push((i, part));
        }
        i += part.len() + 1;
    }
    if fields.len() != 5 {
        let why = match fields.len() {
            6 | 7 => "; GitHub's cron has no seconds or year field",
            _ => "",
        };
        return Err(cerr(
            lead,
            trimmed.len(),
            format!(
                "cron expression has {} field{}, but GitHub needs exactly 5 (minute hour day-of-month month day-of-week){why}",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    let mut sets = [0u64; 5];
    for (n, (at, f)) in fields.iter().enumerate() {
        sets[n] = field(&FIELDS[n], f, *at)?;
    }
    // With a restricted day of week the job still fires on those weekdays (cron ORs the two).
    let dow_any = fields[4].1 == "*" || fields[4].1.starts_with("*/");
    if dow_any {
        let fires = (1..=12u32)
            .filter(|m| sets[3] & (1 << m) != 0)
            .any(|m| (1..=MONTH_DAYS[m as usize - 1]).any(|d| sets[2] & (1 << d) != 0));
        if !fires {
            let (at, f) = fields[2];
            return Err(cerr(
                at,
                f.len(),
                format!(
                    "day of month `{f}` never occurs in month `{}`, so this schedule never fires",
                    fields[3].1
                ),
            ));
        }
    }
    Ok(())
}

fn span_in(cx: &Cx<'_, '_>, node: &Node, text: &str, offset: usize, len: usize) -> Span {
    let base = cx.locate(node, text, 0);
    if !text.is_empty() && cx.text(base) == text {
        base.sub(offset, len)
    } else {
        node.span
    }
}

impl Rule for InvalidCron {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let Some(trigger) = wf.trigger("schedule") else {
            return;
        };
        let Some(config) = trigger.config else {
            out.push(cx.finding(
                &Self::INFO,
                trigger.node.span,
                "no schedule",
                "`schedule` needs a list of `- cron: \"...\"` entries; without one the workflow never runs on a schedule",
            ));
            return;
        };
        if !config.is_seq() {
            out.push(cx.finding(
                &Self::INFO,
                config.span,
                "not a list",
                "`schedule` must be a list of `- cron: \"...\"` entries",
            ));
            return;
        }
        for item in config.items() {
            let Some(cron) = item.get("cron") else {
                out.push(cx.finding(
                    &Self::INFO,
                    item.span,
                    "no `cron:`",
                    "each `schedule` entry needs a `cron:` expression",
                ));
                continue;
            };
            let Some(text) = cron.as_str() else {
                out.push(cx.finding(
                    &Self::INFO,
                    cron.span,
                    "not a string",
                    "`cron:` must be a string of five fields",
                ));
                continue;
            };
            if let Err(e) = check_cron(text) {
                out.push(cx.finding(
                    &Self::INFO,
                    span_in(cx, cron, text, e.offset, e.len),
                    "invalid cron",
                    e.message,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> String {
        check_cron(s).err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn valid_schedules() {
        for ok in [
            "0 0 * * *",
            "*/15 * * * *",
            "30 5,17 * * MON-FRI",
            "0 3 1 jan,jul *",
            "5/10 0-23/2 * * 0",
            "0 0 29 2 *",
            "0 0 31 * *",
            "0 0 30 2 1",
            "  15 4 * * sun ",
            "0 0 1-7 * 1",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn invalid_schedules() {
        assert!(msg("0 0 * *").contains("has 4 fields"));
        assert!(msg("0 0 0 * * *").contains("no seconds"));
        assert!(msg("60 * * * *").contains("minute `60` is out of range (0-59)"));
        assert!(msg("0 24 * * *").contains("hour `24`"));
        assert!(msg("0 0 0 * *").contains("day of month `0`"));
        assert!(msg("0 0 * 13 *").contains("month `13`"));
        assert!(msg("0 0 * * 7").contains("use 0 (or SUN)"));
        assert!(msg("*/0 * * * *").contains("step of 0"));
        assert!(msg("0 22-2 * * *").contains("runs backwards"));
        assert!(msg("0 0 ? * MON").contains("Quartz"));
        assert!(msg("0 0 L * *").contains("Quartz"));
        assert!(msg("0 0 * * MONDAY").contains("three letters"));
        assert!(msg("@daily").contains("macros"));
        assert!(msg("0 0 30 2 *").contains("never fires"));
        assert!(msg("0,,5 0 * * *").contains("empty list item"));
        assert!(msg("").contains("empty"));
    }

    #[test]
    fn offsets_point_at_the_field() {
        let e = check_cron("0 24 * * *").unwrap_err();
        assert_eq!((e.offset, e.len), (2, 2));
        let e = check_cron("0 0 * * 1-9").unwrap_err();
        assert_eq!((e.offset, e.len), (10, 1));
    }
}
