//! The two decodings the OAuth token endpoint needs: form bodies
//! (`application/x-www-form-urlencoded`) and HTTP Basic credentials. Written
//! by hand to keep the mock's dependencies to what the workspace already has.

use std::collections::HashMap;

/// Decodes `a=1&b=x+y%21` into a map (last value wins).
pub fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// Form percent-decoding: `+` is a space, malformed escapes stay literal.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `Authorization: Basic <base64(id:secret)>` into `(id, secret)`.
/// RFC 6749 §2.3.1 has clients form-encode both parts before base64, so they
/// are percent-decoded too.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

/// Standard-alphabet base64, padding optional.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = buffer << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode() {
        let form = parse_form("grant_type=client_credentials&scope=a+b%2Fc&bad=%zz&x");
        assert_eq!(form["grant_type"], "client_credentials");
        assert_eq!(form["scope"], "a b/c");
        assert_eq!(form["bad"], "%zz");
        assert_eq!(form["x"], "");
        assert_eq!(percent_decode("%C3%A9%"), "é%");
    }

    #[test]
    fn basic_credentials_decode() {
        // base64("my-id:my secret") and base64("a:b") without padding.
        assert_eq!(
            basic_credentials("Basic bXktaWQ6bXkgc2VjcmV0"),
            Some(("my-id".into(), "my secret".into()))
        );
        assert_eq!(
            basic_credentials("basic YTpi"),
            Some(("a".into(), "b".into()))
        );
        assert_eq!(basic_credentials("Bearer YTpi"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
