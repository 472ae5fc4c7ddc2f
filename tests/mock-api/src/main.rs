//! The `mock-api` binary: parses flags, serves on 127.0.0.1, announces the
//! port with one `LISTENING <port>` line on stdout (what test harnesses wait
//! for), and runs until SIGINT or SIGTERM. With `--tls`, a `CA <path>` line
//! (the PEM file of the self-signed certificate) comes first.

use std::io::Write;
use std::process::ExitCode;

use mock_api::{Config, MockServer, USAGE};

/// mimalloc, as the native library has: the mock shares the benchmark
/// machine's cores with the client under test, and glibc's malloc and free
/// were about an eighth of its CPU per request.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_args(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("mock-api: {message}");
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("mock-api: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Ignored write errors: a harness that closed our stdout still wants us
    // to serve.
    if let Some(path) = server.ca_pem_path() {
        let _ = writeln!(stdout, "CA {}", path.display());
    }
    let _ = writeln!(stdout, "LISTENING {}", server.addr().port());
    let _ = stdout.flush();
    drop(stdout);
    shutdown_signal().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
