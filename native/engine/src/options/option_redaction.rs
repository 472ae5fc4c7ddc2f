//! The options as they may be shown (plans, logs, errors): secret values
//! replaced, also inside the `headers` JSON.

use std::collections::BTreeMap;

use crate::options::option_names::{self, REDACTED};

/// The options as they may be shown: secret values replaced.
pub fn redacted(raw: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    raw.iter()
        .map(|(k, v)| {
            let shown = if option_names::is_secret_option(k) {
                REDACTED.to_string()
            } else if k == "headers" {
                redact_headers_json(v)
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

fn redact_headers_json(v: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(v) {
        Ok(map) => {
            let shown: serde_json::Map<_, _> = map
                .into_iter()
                .map(|(k, v)| {
                    let v = if option_names::is_secret_header(&k) {
                        REDACTED.into()
                    } else {
                        v
                    };
                    (k, v)
                })
                .collect();
            serde_json::Value::Object(shown).to_string()
        }
        Err(_) => REDACTED.to_string(),
    }
}
