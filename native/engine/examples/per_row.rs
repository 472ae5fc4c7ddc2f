//! Micro-benchmark of the engine's per-row path, without Spark: one task
//! streams Arrow batches of ids through a `TaskStream` against the mock API
//! at 0 ms latency, one request per row. Prints rows/s. Used to profile the
//! engine (e.g. `valgrind --tool=callgrind`), not as a test.
//!
//! `cargo run --release -p spark-rest-engine --example per_row -- [rows] [concurrency] [url]`
//!
//! The mock runs on a Tokio runtime of its own (threads named `mock-api`,
//! two workers, as the binary has on 2 cores), so a profile tells its cost from the engine's
//! (`spark-rest-io` threads and the main thread). With a third argument the
//! example sends to that base URL instead (e.g. a `mock-api` process).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Int64Array, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use mock_api::{Config, MockServer};
use spark_rest_engine::flow::runtime::runtime;
use spark_rest_engine::options::engine_options::{EngineOptions, Secrets};
use spark_rest_engine::{Engine, TaskStream};

/// The native library's allocator, so that a profile shows its costs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: i64 = 1024;
const QUEUE: usize = 4;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let concurrency: String = args.next().unwrap_or_else(|| "64".into());
    let external: Option<String> = args.next();
    let mock_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("mock-api")
        .enable_all()
        .build()
        .expect("mock runtime");
    let api = match &external {
        Some(_) => None,
        None => Some(
            mock_runtime
                .block_on(MockServer::start(Config::default()))
                .expect("mock server starts"),
        ),
    };
    let base = external.unwrap_or_else(|| api.as_ref().map(MockServer::url).unwrap_or_default());
    // Start the engine's runtime before the clock.
    let _ = runtime();
    let raw: BTreeMap<String, String> = [
        ("url", format!("{base}/customers/{{id}}")),
        ("concurrency", concurrency),
        ("cache", "false".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let options = EngineOptions::parse(&raw, Secrets::Resolve).expect("options");
    let engine = Engine::new(options, None).expect("engine");
    // One thread per Spark task (`TASKS`, default 1), each with its own stream,
    // as local[2] runs two.
    let tasks: i64 = std::env::var("TASKS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let engine = Arc::new(engine);
    let started = Instant::now();
    let threads: Vec<_> = (0..tasks)
        .map(|task| {
            let engine = Arc::clone(&engine);
            let (from, to) = (rows * task / tasks, rows * (task + 1) / tasks);
            std::thread::spawn(move || run_task(&engine, from, to))
        })
        .collect();
    for thread in threads {
        thread.join().expect("task thread");
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = api.as_ref().map(|a| a.stats().total.to_string());
    println!(
        "{rows} rows in {seconds:.2} s: {:.0} rows/s ({} requests at the mock)",
        rows as f64 / seconds,
        requests.as_deref().unwrap_or("?")
    );
    drop(api);
    mock_runtime.shutdown_background();
}

/// One task's rows `from..to`: submits up to `QUEUE` batches ahead and takes
/// results back in order.
fn run_task(engine: &Engine, from: i64, to: i64) {
    let stream = TaskStream::new();
    let mut next = from;
    let mut done = from;
    while done < to {
        while next < to && stream.queued() < QUEUE {
            let end = (next + BATCH).min(to);
            stream.submit(engine, &ids(next, end)).expect("submit");
            next = end;
        }
        let (out, _) = stream
            .take(engine, None)
            .expect("take")
            .expect("a queued batch");
        done += arrow::array::Array::len(&out) as i64;
    }
}

fn ids(from: i64, to: i64) -> StructArray {
    StructArray::new(
        Fields::from(vec![Field::new("id", DataType::Int64, true)]),
        vec![Arc::new(Int64Array::from_iter_values(from..to))],
        None,
    )
}
