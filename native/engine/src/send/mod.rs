//! Send: planned requests become outcomes (status, body or error). One
//! transport per API holds the HTTP clients (our own HTTP/1.1 exchange for
//! plain `http://`, reqwest for the rest), the sender and its limits: the
//! circuit breaker per host, the concurrency cap (fixed or learned with
//! `concurrency=auto`) with the connections per host kept within it, the
//! rate limit and the server's rate-limit headers,
//! OAuth2 tokens, retries with backoff, and single-flight for identical
//! requests in flight at once. The response cache sits in `cache`.

pub mod adaptive_limit;
#[cfg(test)]
mod adaptive_sim;
mod adaptive_window;
pub mod attempt;
mod body_decode;
pub mod circuit;
pub mod client;
pub mod concurrency;
pub mod connection_cap;
mod direct_http;
mod direct_redirect;
pub mod host_limits;
mod http1_pool;
mod http1_wire;
pub mod latency;
pub mod oauth;
pub mod outcome;
pub mod rate_gate;
pub mod rate_headers;
pub mod retry_storm;
pub mod send_shared;
pub mod sender;
pub mod single_flight;
pub mod transport;
mod url_host;

#[cfg(test)]
mod adaptive_tests;
#[cfg(test)]
mod circuit_tests;
#[cfg(test)]
mod direct_http_tests;
#[cfg(test)]
mod oauth_tests;
#[cfg(test)]
mod tls_tests;
