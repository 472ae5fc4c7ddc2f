//! What one request finally produced: the data of a row's `_status`,
//! `_error` and body.

/// The final result of one request after retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The final HTTP status; None when no response arrived.
    pub status: Option<u16>,
    /// The response body (successful or not); None when no response arrived.
    pub body: Option<Vec<u8>>,
    /// One-line reason when the row failed; None on success.
    pub error: Option<String>,
    /// The row failed fast: its host's circuit was open, no request was sent.
    pub circuit_open: bool,
    /// The response's `Link` header (pagination); not kept in the cache.
    pub link: Option<String>,
}

impl Outcome {
    pub fn failed(reason: impl Into<String>) -> Outcome {
        Outcome {
            status: None,
            body: None,
            error: Some(reason.into()),
            circuit_open: false,
            link: None,
        }
    }

    /// No request sent: the host's circuit breaker is open.
    pub fn circuit_open(host: &str) -> Outcome {
        Outcome {
            circuit_open: true,
            ..Outcome::failed(format!("circuit open for host {host}"))
        }
    }

    /// A response: 2xx is success, anything else carries a reason with an
    /// excerpt of the body.
    pub fn from_response(status: u16, body: Vec<u8>) -> Outcome {
        let error = (!(200..300).contains(&status)).then(|| {
            let excerpt = excerpt(&body, 200);
            if excerpt.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {excerpt}")
            }
        });
        Outcome {
            status: Some(status),
            body: Some(body),
            error,
            circuit_open: false,
            link: None,
        }
    }

    /// The same outcome without an error (a result carved out of a batch
    /// response).
    pub fn succeeded(mut self) -> Outcome {
        self.error = None;
        self
    }

    pub fn is_success(&self) -> bool {
        self.error.is_none()
    }
}

/// The first `max` characters of a body on one line.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > max {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_status_and_a_one_line_excerpt() {
        let o = Outcome::from_response(503, b"{\"error\":\n \"down\"}".to_vec());
        assert_eq!(o.error.as_deref(), Some("HTTP 503: {\"error\": \"down\"}"));
        assert!(Outcome::from_response(200, b"{}".to_vec()).is_success());
        assert_eq!(excerpt(&[b'a'; 300], 5), "aaaaa...");
    }
}
