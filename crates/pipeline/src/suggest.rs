//! "Did you mean": edit distances between names, and the known name closest to a misspelt one
//! (unknown keys, job and step ids, functions, look-alike action names).

/// Levenshtein distance in characters (insertions, deletions, substitutions), capped: `max + 1`
/// as soon as the distance must exceed `max`.
pub fn levenshtein(a: &str, b: &str, max: usize) -> usize {
    distance(a, b, max, false)
}

/// Optimal string alignment distance in characters: Levenshtein plus adjacent transpositions
/// (`chekcout`) as one edit, capped like [`levenshtein`].
pub fn transposition_distance(a: &str, b: &str, max: usize) -> usize {
    distance(a, b, max, true)
}

fn distance(a: &str, b: &str, max: usize, transpositions: bool) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(max + 1)
}

/// The known word closest to `word`, if it is close enough to be a plausible typo (or `word`
/// is the start of a known hyphenated key: `timeout` for `timeout-minutes`). Case and `_`/`-`
/// are ignored.
pub fn closest<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let w = norm(word);
    let known: Vec<&'k str> = known.into_iter().collect();
    let limit = match w.len() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &'k str)> = None;
    for &k in &known {
        let d = levenshtein(&w, &norm(k), limit);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    if let Some((d, k)) = best
        && d <= limit
    {
        return Some(k);
    }
    if w.len() >= 4 {
        let prefixed: Vec<&'k str> = known
            .iter()
            .copied()
            .filter(|k| norm(k).starts_with(&format!("{w}-")))
            .collect();
        if let [only] = prefixed.as_slice() {
            return Some(only);
        }
    }
    None
}

/// `; did you mean `x`?` (to append to a message), or nothing.
pub fn suggestion<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> String {
    closest(word, known)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting", 5), 3);
        assert_eq!(levenshtein("kitten", "sitting", 2), 3);
        assert_eq!(levenshtein("ab", "ba", 3), 2);
        assert_eq!(transposition_distance("ab", "ba", 3), 1);
        assert_eq!(levenshtein("", "abc", 5), 3);
        assert_eq!(levenshtein("rüns", "runs", 2), 1);
        let osa = transposition_distance;
        assert_eq!(osa("actions/checkout", "actions/checkout", 2), 0);
        assert_eq!(osa("action/checkout", "actions/checkout", 2), 1);
        assert_eq!(osa("actions/chekcout", "actions/checkout", 2), 1);
        assert_eq!(osa("actons/setup-nod", "actions/setup-node", 2), 2);
        assert_eq!(osa("actions/setup-go", "actions/setup-node", 2), 3);
    }

    #[test]
    fn closest_names() {
        let keys = ["runs-on", "timeout-minutes", "permissions", "steps"];
        assert_eq!(closest("runs_on", keys), Some("runs-on"));
        assert_eq!(closest("Permisions", keys), Some("permissions"));
        assert_eq!(closest("timeout", keys), Some("timeout-minutes"));
        assert_eq!(closest("ab", ["if"]), None);
        assert_eq!(closest("completely-different", keys), None);
        assert_eq!(suggestion("stpes", keys), "; did you mean `steps`?");
        assert_eq!(suggestion("zzz", keys), "");
    }
}
