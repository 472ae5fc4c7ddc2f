//! Credentials imply their `auth` (SPEC.md section 4): `token` -> bearer,
//! `apiKey` -> apikey, `userId` + `userPassword` -> basic, `oauth2*` ->
//! oauth2, unless `auth` says otherwise. Credentials of two kinds, or a
//! credential that the chosen `auth` would not send, fail naming the
//! options: a credential is never silently unused.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};

/// The credential options of each auth kind.
const KINDS: &[(&str, &[&str])] = &[
    ("bearer", &["token"]),
    ("basic", &["userId", "userPassword"]),
    ("apikey", &["apiKey", "apiKeyHeader"]),
    (
        "oauth2",
        &[
            "oauth2TokenUrl",
            "oauth2ClientId",
            "oauth2ClientSecret",
            "oauth2Scope",
        ],
    ),
];

/// Sets `auth` from the credentials when it is not given, and checks that
/// every credential given is used by the auth in force. `raw` holds
/// canonical names.
pub fn imply_auth(raw: &mut BTreeMap<String, String>) -> Result<()> {
    let given: Vec<(&str, &str)> = KINDS
        .iter()
        .flat_map(|(kind, names)| names.iter().map(move |n| (*kind, *n)))
        .filter(|(_, n)| raw.contains_key(*n))
        .collect();
    let explicit = raw.get("auth").map(|a| a.trim().to_ascii_lowercase());
    let Some(auth) = explicit else {
        let Some((kind, first)) = given.first().copied() else {
            return Ok(());
        };
        if let Some((other_kind, other)) = given.iter().find(|(k, _)| *k != kind) {
            return Err(invalid(format!(
                "options '{first}' ({kind}) and '{other}' ({other_kind}) are credentials of two \
                 kinds of auth; give the credentials of one, or set auth to choose"
            )));
        }
        if kind == "basic" && !(raw.contains_key("userId") && raw.contains_key("userPassword")) {
            return Err(invalid(format!(
                "option '{first}' needs its partner for basic auth: give userId and \
                 userPassword (or auth=basic for a user without a password)"
            )));
        }
        if kind == "apikey" && !raw.contains_key("apiKey") {
            return Err(invalid(
                "option 'apiKeyHeader' names the header of an API key, but option 'apiKey' is \
                 not given",
            ));
        }
        raw.insert("auth".into(), kind.into());
        return check_header_clash(raw, kind);
    };
    if let Some((kind, unused)) = given.iter().find(|(k, _)| *k != auth) {
        return Err(invalid(format!(
            "option '{unused}' is a {kind} credential, but auth is '{auth}', which would not \
             send it; remove it or set auth={kind}"
        )));
    }
    check_header_clash(raw, &auth)
}

/// A header the auth would overwrite is a credential silently unused.
fn check_header_clash(raw: &BTreeMap<String, String>, auth: &str) -> Result<()> {
    let replaced = match auth {
        "bearer" | "basic" | "oauth2" => "authorization".to_string(),
        "apikey" => raw
            .get("apiKeyHeader")
            .map(|h| h.to_ascii_lowercase())
            .unwrap_or_else(|| "x-api-key".into()),
        _ => return Ok(()),
    };
    let mut names: Vec<String> = raw
        .keys()
        .filter_map(|k| k.strip_prefix(crate::options::option_names::HEADER_PREFIX))
        .map(str::to_string)
        .collect();
    if let Some(json) = raw.get("headers") {
        if let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) {
            names.extend(map.keys().cloned());
        }
    }
    match names.iter().find(|n| n.to_ascii_lowercase() == replaced) {
        Some(header) => Err(invalid(format!(
            "header '{header}' and auth '{auth}' both set the {header} header; give the \
             credential once"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implied(pairs: &[(&str, &str)]) -> Result<Option<String>> {
        let mut raw: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        imply_auth(&mut raw)?;
        Ok(raw.get("auth").cloned())
    }

    #[test]
    fn credentials_imply_their_auth() {
        assert_eq!(
            implied(&[("token", "t")]).unwrap().as_deref(),
            Some("bearer")
        );
        assert_eq!(
            implied(&[("apiKey", "k")]).unwrap().as_deref(),
            Some("apikey")
        );
        assert_eq!(
            implied(&[("userId", "u"), ("userPassword", "p")])
                .unwrap()
                .as_deref(),
            Some("basic")
        );
        assert_eq!(
            implied(&[("oauth2ClientId", "c")]).unwrap().as_deref(),
            Some("oauth2")
        );
        assert_eq!(implied(&[]).unwrap(), None);
    }

    #[test]
    fn conflicts_and_unused_credentials_fail_naming_the_options() {
        let err = implied(&[("token", "t"), ("apiKey", "k")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("'apiKey'") && err.contains("'token'"), "{err}");
        let err = implied(&[("auth", "basic"), ("userId", "u"), ("token", "t")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("'token'") && err.contains("basic"), "{err}");
        let err = implied(&[("auth", "none"), ("token", "t")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'token'") && err.contains("auth=bearer"),
            "{err}"
        );
        assert!(implied(&[("userPassword", "p")]).is_err());
        let err = implied(&[("token", "t"), ("header.Authorization", "Bearer x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Authorization") && err.contains("bearer"),
            "{err}"
        );
        assert!(implied(&[("apiKeyHeader", "X-Key")]).is_err());
        assert_eq!(
            implied(&[("auth", "basic"), ("userId", "u")])
                .unwrap()
                .as_deref(),
            Some("basic")
        );
    }
}
