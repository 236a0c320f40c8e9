//! Looking up kernel command-line parameters.

/// Finds `key` in a command line of whitespace-separated `key=value` or bare
/// `key` words: `Some(value)` for `key=value`, `Some("")` for a bare `key`
/// (or `key=`), `None` if absent.
///
/// The first matching word wins. Values end at whitespace (there is no
/// quoting), and the value is everything after the first `=`, so
/// `a=b=c` gives `b=c` for `a`. An empty key, or one with `=` or whitespace
/// in it, is never found.
pub fn bootarg<'a>(bootargs: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() || key.contains(|c: char| c == '=' || c.is_whitespace()) {
        return None;
    }
    bootargs
        .split_whitespace()
        .find_map(|word| match word.strip_prefix(key)? {
            "" => Some(""),
            rest => rest.strip_prefix('='),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "tessera.test=boot console=x quiet  tessera.log=debug=2\ttab=1 empty= ";

    #[test]
    fn finds_key_value_pairs() {
        assert_eq!(bootarg(LINE, "tessera.test"), Some("boot"));
        assert_eq!(bootarg(LINE, "console"), Some("x"));
        assert_eq!(bootarg(LINE, "tab"), Some("1"));
    }

    #[test]
    fn bare_keys_give_empty_values() {
        assert_eq!(bootarg(LINE, "quiet"), Some(""));
        assert_eq!(bootarg(LINE, "empty"), Some(""));
    }

    #[test]
    fn value_is_everything_after_the_first_equals() {
        assert_eq!(bootarg(LINE, "tessera.log"), Some("debug=2"));
    }

    #[test]
    fn absent_keys_and_prefixes_are_not_found() {
        assert_eq!(bootarg(LINE, "missing"), None);
        assert_eq!(bootarg(LINE, "tessera"), None);
        assert_eq!(bootarg(LINE, "tessera.tes"), None);
        assert_eq!(bootarg(LINE, "quie"), None);
        assert_eq!(bootarg(LINE, "boot"), None);
    }

    #[test]
    fn first_occurrence_wins() {
        assert_eq!(bootarg("a=1 a=2 a", "a"), Some("1"));
        assert_eq!(bootarg("a a=2", "a"), Some(""));
    }

    #[test]
    fn bad_keys_are_never_found() {
        assert_eq!(bootarg("=x", ""), None);
        assert_eq!(bootarg("a=b", "a=b"), None);
        assert_eq!(bootarg("a b", "a b"), None);
    }

    #[test]
    fn empty_and_blank_lines_have_nothing() {
        assert_eq!(bootarg("", "a"), None);
        assert_eq!(bootarg("   \t\n", "a"), None);
    }

    #[test]
    fn non_ascii_is_handled() {
        assert_eq!(bootarg("clé=valeur ünï", "clé"), Some("valeur"));
        assert_eq!(bootarg("clé=valeur ünï", "ünï"), Some(""));
        assert_eq!(bootarg("clé=valeur", "cl"), None);
    }
}
