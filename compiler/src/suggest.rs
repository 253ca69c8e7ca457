//! "Did you mean" suggestions for misspelt names (Levenshtein distance via `strsim`).

/// The candidate closest to `name`, if it is close enough to be a plausible typo: edit distance
/// at most max(1, len/3), ties to the first candidate.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(name, c);
        let d = if d > 0 && name.to_lowercase() == c.to_lowercase() { 0 } else { d };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(did_you_mean("zscor", ["sma", "zscore", "std"]), Some("zscore"));
        assert_eq!(did_you_mean("vixx", ["spx", "vix"]), Some("vix"));
        assert_eq!(did_you_mean("VIX", ["spx", "vix"]), Some("vix"));
        assert_eq!(did_you_mean("momentum", ["spx", "vix"]), None);
        // Distances count characters, so an accent is one edit; case folds beyond ASCII.
        assert_eq!(did_you_mean("exposicion", ["exposición"]), Some("exposición"));
        assert_eq!(did_you_mean("ÉTAT", ["x", "état"]), Some("état"));
    }
}
