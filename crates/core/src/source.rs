//! Source files and positions: byte spans resolved to 1-based lines and columns.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A half-open byte range inside one file of a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: u32, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }

    /// A sub-range of this span, `offset` bytes from its start.
    pub fn sub(&self, offset: usize, len: usize) -> Span {
        let start = (self.start + offset).min(self.end);
        Span {
            file: self.file,
            start,
            end: (start + len).min(self.end),
        }
    }
}

/// One file read from disk, with its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the working directory when possible, `/` separators).
    pub path: String,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// The 1-based line and column of a byte offset (clamped to the file).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos {
            line: line + 1,
            column,
        }
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).map_or(self.text.len(), |&e| e);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }
}

/// Every file a run has read, addressed by the `file` index of a [`Span`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> u32 {
        self.files.push(file);
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    pub fn get(&self, id: u32) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn find(&self, path: &str) -> Option<u32> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let f = SourceFile::new("a.yml", "ab\nçd: x\n");
        assert_eq!(f.pos(0), Pos { line: 1, column: 1 });
        assert_eq!(f.pos(3), Pos { line: 2, column: 1 });
        // 'ç' is two bytes: the ':' after "çd" is column 3.
        assert_eq!(f.pos(6), Pos { line: 2, column: 3 });
        assert_eq!(f.line_text(2), "çd: x");
        assert_eq!(f.pos(999), Pos { line: 3, column: 1 });
    }
}
