//! Path globs as `chainproof.yml` `exclude` and GitLab `include:` use them: `*` within a path
//! segment, `**` across segments, matched against `/`-separated relative paths.

use regex::Regex;

/// A glob as an anchored regex. An invalid pattern matches nothing.
pub fn glob_regex(pattern: &str) -> Regex {
    let mut re = String::from("^");
    let mut chars = pattern.trim_start_matches('/').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).unwrap_or_else(|_| Regex::new("^$").unwrap_or_else(|e| panic!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::glob_regex;

    #[test]
    fn globs() {
        assert!(glob_regex("ci/*.yml").is_match("ci/a.yml"));
        assert!(!glob_regex("ci/*.yml").is_match("ci/x/a.yml"));
        assert!(glob_regex("ci/**.yml").is_match("ci/x/a.yml"));
        assert!(glob_regex("**/*.yml").is_match("a.yml"));
    }
}
