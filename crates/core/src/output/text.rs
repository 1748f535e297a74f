//! `--format text`: rustc-style diagnostics with source snippets (codespan-reporting).

use std::io::{self, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as Level};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Config};

use super::Output;
use crate::finding::Severity;
use crate::source::SourceMap;

impl<'a> Files<'a> for SourceMap {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: u32) -> Result<&'a str, FilesError> {
        self.get(id)
            .map(|f| f.path.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: u32) -> Result<&'a str, FilesError> {
        self.get(id)
            .map(|f| &*f.text)
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.get(id).ok_or(FilesError::FileMissing)?;
        Ok(f.line_starts()
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'a self, id: u32, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.get(id).ok_or(FilesError::FileMissing)?;
        let starts = f.line_starts();
        let start = *starts.get(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: starts.len().saturating_sub(1),
        })?;
        let end = starts.get(line_index + 1).copied().unwrap_or(f.text.len());
        Ok(start..end)
    }
}

fn level(s: Severity) -> Level {
    match s {
        Severity::Critical | Severity::High => Level::Error,
        Severity::Medium => Level::Warning,
        Severity::Low => Level::Note,
        Severity::Info => Level::Help,
    }
}

/// A copy of the sources with every secret span masked by `*` (one per byte, so every other span
/// keeps its offsets).
fn redacted(out: &Output<'_>) -> Option<SourceMap> {
    let secrets: Vec<_> = out
        .report
        .findings
        .iter()
        .flat_map(|f| f.secrets.iter())
        .collect();
    if secrets.is_empty() {
        return None;
    }
    let mut map = SourceMap::default();
    for (id, file) in out.sources.files().iter().enumerate() {
        let mut text = file.text.to_string();
        for s in secrets.iter().filter(|s| s.file as usize == id) {
            let (start, end) = (s.start.min(text.len()), s.end.min(text.len()));
            if let Some(secret) = text.get(start..end) {
                let mask: String = secret
                    .bytes()
                    .map(|b| if b == b'\n' { '\n' } else { '*' })
                    .collect();
                text.replace_range(start..end, &mask);
            }
        }
        map.add(crate::source::SourceFile::new(file.path.clone(), text));
    }
    Some(map)
}

pub fn write(out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    let masked = redacted(out);
    let sources = masked.as_ref().unwrap_or(out.sources);
    let config = Config::default();
    let styles = term::Styles::default();
    let mut buf = if out.color {
        term::termcolor::Buffer::ansi()
    } else {
        term::termcolor::Buffer::no_color()
    };
    for f in &out.report.findings {
        let file = sources.find(&f.location.file);
        let mut diag = Diagnostic::new(level(f.severity))
            .with_code(f.rule.clone())
            .with_message(format!("{}: {}", f.title, f.message));
        let mut notes = vec![format!(
            "{} severity, {} confidence; see {}",
            f.severity,
            f.confidence.as_str(),
            f.help_url
        )];
        match file {
            Some(id) => {
                let mut labels = vec![
                    Label::primary(id, f.location.offset..f.location.offset + f.location.length)
                        .with_message(f.location.label.clone()),
                ];
                for r in &f.related {
                    if let Some(rid) = sources.find(&r.file) {
                        labels.push(
                            Label::secondary(rid, r.offset..r.offset + r.length)
                                .with_message(r.label.clone()),
                        );
                    }
                }
                diag = diag.with_labels(labels);
            }
            None => notes.insert(
                0,
                format!(
                    "at {}:{}:{}",
                    f.location.file, f.location.start.line, f.location.start.column
                ),
            ),
        }
        if let Some(fix) = &f.fix {
            notes.push(format!("fix available (--fix): {}", fix.description));
        }
        diag = diag.with_notes(notes);
        let mut styled = term::StylesWriter::new(&mut buf, &styles);
        term::emit_to_write_style(&mut styled, &config, sources, &diag)
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
    w.write_all(buf.as_slice())?;
    for e in &out.report.errors {
        writeln!(w, "error: {e}")?;
    }
    for s in &out.report.summary {
        writeln!(w, "{}: {}", s.what, s.text)?;
    }
    for s in &out.report.skipped {
        writeln!(w, "skipped: {} ({})", s.what, s.reason)?;
    }
    let r = out.report;
    let mut counts = Vec::new();
    for sev in Severity::ALL.iter().rev() {
        let n = r.findings.iter().filter(|f| f.severity == *sev).count();
        if n > 0 {
            counts.push(format!("{n} {sev}"));
        }
    }
    writeln!(
        w,
        "{} finding(s){} in {} file(s); {} input error(s); {} suppressed",
        r.findings.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        r.files.len(),
        r.errors.len(),
        r.suppressed
    )
}
