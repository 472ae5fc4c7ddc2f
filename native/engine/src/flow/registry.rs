//! Engines shared inside a process: equal options (and output schema) give
//! the same engine, so every task of an executor shares one connection
//! pool, one concurrency cap, one rate limiter and one cache; engines that
//! differ only in how they read responses share their transport.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use arrow::datatypes::Fields;

use crate::engine::Engine;
use crate::error::Result;
use crate::options::engine_options::{EngineOptions, Secrets};
use crate::send::transport::{transport_key, Transport};

#[derive(Default)]
struct Registry {
    engines: HashMap<String, Arc<Engine>>,
    transports: HashMap<String, Arc<Transport>>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Registry::default()))
}

/// The engine for these options, created on first use. Engines live as long
/// as the process (SPEC.md section 6): tasks come and go, the pool stays.
pub fn engine_for(
    raw: &BTreeMap<String, String>,
    result_fields: Option<Fields>,
) -> Result<Arc<Engine>> {
    let key = format!(
        "{}|{:?}",
        serde_json::to_string(raw).unwrap_or_default(),
        result_fields
    );
    let mut registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(engine) = registry.engines.get(&key) {
        return Ok(Arc::clone(engine));
    }
    let options = EngineOptions::parse(raw, Secrets::Resolve)?;
    let transport = match registry.transports.get(&transport_key(raw)) {
        Some(shared) => Arc::clone(shared),
        None => {
            let created = Arc::new(Transport::new(&options)?);
            registry
                .transports
                .insert(transport_key(raw), Arc::clone(&created));
            created
        }
    };
    let engine = Arc::new(Engine::with_transport(options, result_fields, transport)?);
    tracing::info!(url = %engine.options().url, concurrency = ?engine.options().throughput.concurrency, "spark-rest engine created");
    registry.engines.insert(key, Arc::clone(&engine));
    Ok(engine)
}

/// Parses a JSON object of option names to values (numbers and booleans
/// are accepted and turned into text).
pub fn parse_options_json(json: &str) -> Result<BTreeMap<String, String>> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| crate::error::invalid(format!("options must be a JSON object: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(crate::error::invalid("options must be a JSON object"));
    };
    // Names in the README's spelling from here on, whatever case they came in.
    crate::options::option_case::canonicalize(
        map.into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
    )
}
