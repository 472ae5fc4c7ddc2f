//! The `allowedHosts` check once per batch instead of once per row, when
//! the URL template fixes the host: its literal text before the first
//! placeholder already holds `scheme://authority` and the character that
//! ends the authority (`/`, `?` or `#`). Substituted values are
//! percent-encoded (`template::Escape::Url`), so they can never end the
//! path early or reach the authority, and the URL parser never rejects a
//! path, query or fragment: the prefix decides both the host and whether
//! the URL parses. Templates with a placeholder in the scheme or the
//! authority (`http://{host}/x`) are still checked row by row.

/// The part of `prefix` up to and including the end of its authority, when
/// the prefix has one.
pub fn authority_prefix(prefix: &str) -> Option<&str> {
    let scheme_end = prefix.find("://")?;
    let scheme = &prefix[..scheme_end];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority_start = scheme_end + 3;
    let rest = &prefix[authority_start..];
    // A backslash ends the authority of special schemes too: not fixed.
    if rest.contains('\\') {
        return None;
    }
    let end = rest.find(['/', '?', '#'])?;
    Some(&prefix[..authority_start + end + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_must_be_closed_by_the_literal() {
        assert_eq!(
            authority_prefix("http://127.0.0.1:8080/customers/"),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(
            authority_prefix("https://api.example.com?key="),
            Some("https://api.example.com?")
        );
        // The placeholder may still be in the host or port.
        assert_eq!(authority_prefix("http://api."), None);
        assert_eq!(authority_prefix("http://127.0.0.1:"), None);
        assert_eq!(authority_prefix("http://user@"), None);
        assert_eq!(authority_prefix(""), None);
        assert_eq!(authority_prefix("/relative/"), None);
        assert_eq!(authority_prefix("http://a.com\\x/"), None);
        assert_eq!(authority_prefix("ht tp://a/"), None);
    }
}
