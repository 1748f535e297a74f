//! `yaml::parse` on arbitrary text: it must return a tree or an error, never panic, overflow the
//! stack or run away in time or memory (aliases are budgeted, nesting is capped).
#![no_main]

use chainproof_pipeline::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The linter rejects non-UTF-8 files before parsing; parse what it would parse.
    let text = String::from_utf8_lossy(data);
    if let Ok(docs) = yaml::parse(&text, 0) {
        // Spans must stay inside the text and on char boundaries (snippets slice with them).
        for doc in &docs {
            doc.walk(&mut |n| {
                assert!(n.span.start <= n.span.end, "span {:?}", n.span);
                assert!(
                    n.span.end <= text.len(),
                    "span {:?} past {}",
                    n.span,
                    text.len()
                );
                assert!(text.is_char_boundary(n.span.start) && text.is_char_boundary(n.span.end));
            });
        }
    }
});
