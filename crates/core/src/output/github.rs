//! `--format github`: workflow commands that GitHub turns into annotations, and a Markdown job summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Output;
use crate::finding::Severity;
use crate::report::Report;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn write(out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    for f in &out.report.findings {
        let l = &f.location;
        writeln!(
            w,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            level(f.severity),
            escape_property(&l.file),
            l.start.line,
            l.start.column,
            l.end.line,
            l.end.column,
            escape_property(&format!("{} ({})", f.title, f.rule)),
            escape_data(&format!(
                "{} [{} severity, {} confidence] {}",
                f.message,
                f.severity,
                f.confidence.as_str(),
                f.help_url
            )),
        )?;
    }
    for sk in &out.report.skipped {
        writeln!(
            w,
            "::notice title=chainproof skipped {}::{}",
            escape_property(&sk.what),
            escape_data(&sk.reason)
        )?;
    }
    for e in &out.report.errors {
        writeln!(
            w,
            "::error file={},line={},col={},title=chainproof input error::{}",
            escape_property(&e.file),
            e.line,
            e.column,
            escape_data(&e.message)
        )?;
    }
    Ok(())
}

/// Markdown for `$GITHUB_STEP_SUMMARY`.
pub fn summary(report: &Report) -> String {
    let mut s = String::from("## chainproof\n\n");
    if report.findings.is_empty() && report.errors.is_empty() {
        let _ = writeln!(s, "No findings in {} file(s).", report.files.len());
    } else {
        let _ = writeln!(s, "| severity | count |\n|---|---|");
        for sev in Severity::ALL.iter().rev() {
            let n = report
                .findings
                .iter()
                .filter(|f| f.severity == *sev)
                .count();
            if n > 0 {
                let _ = writeln!(s, "| {sev} | {n} |");
            }
        }
        let _ = writeln!(
            s,
            "\n| rule | severity | location | message |\n|---|---|---|---|"
        );
        for f in &report.findings {
            let _ = writeln!(
                s,
                "| [`{}`]({}) | {} | `{}:{}:{}` | {} |",
                f.rule,
                f.help_url,
                f.severity,
                f.location.file,
                f.location.start.line,
                f.location.start.column,
                f.message.replace('|', "\\|").replace('\n', " ")
            );
        }
        for e in &report.errors {
            let _ = writeln!(
                s,
                "\n**input error** `{}:{}:{}`: {}",
                e.file, e.line, e.column, e.message
            );
        }
    }
    for sm in &report.summary {
        let _ = writeln!(s, "\n**{}**: {}", sm.what, sm.text);
    }
    for sk in &report.skipped {
        let _ = writeln!(s, "\n_skipped_: {} ({})", sk.what, sk.reason);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_escaped() {
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(escape_data("x:y,z"), "x:y,z");
    }
}
