//! The continuous flow without Spark: `tasks` threads share one engine and
//! each streams Arrow batches through its own `TaskStream` the way
//! `EnrichIterator` does (4 batches ahead, results taken in order), against
//! the mock API with the bench's scenarios. A thread samples the mock's
//! requests in flight; prints rows/s, requests/s against the ideal
//! (`concurrency / mean latency`) and the average in flight while rows
//! remain. It tells engine losses from Spark/JVM ones; not a test.
//!
//! `cargo run --release -p spark-rest-engine --example flow -- <scenario> [rows] [concurrency] [tasks]`
//! with scenario `uniform`, `stragglers` or `batch`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Int64Array, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use mock_api::{Config, MockServer};
use spark_rest_engine::options::engine_options::{EngineOptions, Secrets};
use spark_rest_engine::{Engine, TaskStream};

const BATCH: i64 = 1024;
const QUEUE: usize = 4;

fn main() {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "uniform".into());
    let rows: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(40_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let tasks: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);

    let mut config = Config {
        latency_ms: 20,
        seed: Some(7),
        ..Config::default()
    };
    let batch = scenario == "batch";
    let mut mean_latency = 0.020;
    if scenario == "stragglers" {
        config.straggler_rate = 0.02;
        config.straggler_ms = 500;
        config.fail_rate = 0.05;
        mean_latency += 0.02 * 0.5;
    }
    // The server gets a runtime of its own, as a real API would be apart.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let api = Arc::new(
        server_runtime
            .block_on(MockServer::start(config))
            .expect("mock server starts"),
    );
    let mut raw: BTreeMap<String, String> = [
        ("concurrency", concurrency.to_string()),
        ("cache", "false".into()),
        ("retryBackoff", "20".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if batch {
        raw.insert("url".into(), format!("{}/customers/batch", api.url()));
        raw.insert("batchKey".into(), "id".into());
        raw.insert("batchRequestSize".into(), "100".into());
        raw.insert("batchResultKey".into(), "customer_id".into());
    } else {
        raw.insert("url".into(), format!("{}/customers/{{id}}", api.url()));
    }
    // FLOW_URL: send to an API of that base URL instead (the mock then idles).
    if let Ok(base) = std::env::var("FLOW_URL") {
        let path = if batch {
            "customers/batch"
        } else {
            "customers/{id}"
        };
        raw.insert("url".into(), format!("{base}/{path}"));
    }
    let options = EngineOptions::parse(&raw, Secrets::Resolve).expect("options");
    // Like Spark: the response decoded into typed columns (FLOW_RAW: raw bodies).
    let fields = std::env::var("FLOW_RAW")
        .is_err()
        .then(|| Fields::from(vec![Field::new("customer_id", DataType::Int64, true)]));
    let engine = Arc::new(Engine::new(options, fields).expect("engine"));

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (api, done) = (Arc::clone(&api), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push(api.stats().in_flight);
                std::thread::sleep(Duration::from_millis(2));
            }
            samples
        })
    };
    let started = Instant::now();
    let per_task = rows / tasks;
    let workers: Vec<_> = (0..tasks)
        .map(|t| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || run_task(&engine, t * per_task, (t + 1) * per_task))
        })
        .collect();
    for worker in workers {
        worker.join().expect("task");
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    // While rows remain: samples up to the last one at half the cap.
    let last_busy = samples
        .iter()
        .rposition(|&n| n as usize >= concurrency / 2)
        .unwrap_or(0);
    let steady = &samples[..=last_busy];
    let average = steady.iter().sum::<u64>() as f64 / steady.len().max(1) as f64;
    let stats = api.stats();
    let ideal = concurrency as f64 / mean_latency;
    println!(
        "{scenario}: {rows} rows in {seconds:.2} s: {:.0} rows/s, {} requests = {:.0}% of ideal; \
         {average:.1} in flight on average while rows remain (max {})",
        (tasks * per_task) as f64 / seconds,
        stats.total,
        100.0 * stats.total as f64 / seconds / ideal,
        stats.max_in_flight
    );
}

fn run_task(engine: &Engine, from: i64, to: i64) {
    let stream = TaskStream::new();
    let mut next = from;
    while next < to || stream.queued() > 0 {
        while next < to && stream.queued() < QUEUE {
            let end = (next + BATCH).min(to);
            stream.submit(engine, &ids(next, end)).expect("submit");
            next = end;
        }
        // In slices of 100 ms, as EnrichIterator waits (it checks for a kill in between).
        while stream
            .take(engine, Some(Duration::from_millis(100)))
            .expect("take")
            .is_none()
        {}
    }
}

fn ids(from: i64, to: i64) -> StructArray {
    StructArray::new(
        Fields::from(vec![Field::new("id", DataType::Int64, true)]),
        vec![Arc::new(Int64Array::from_iter_values(from..to))],
        None,
    )
}
