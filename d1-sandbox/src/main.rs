//! `d1-sandbox`: run the in-memory D1 on loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

const HELP: &str = "d1-sandbox: an in-memory stand-in for Thales D1 (inbound APIs, and its calls to the issuer)

USAGE:
    d1-sandbox [--port PORT] [--host ADDRESS] [--strict-auth] [--body-limit BYTES]
               [--header-timeout SECONDS] [--history-limit N] [--speed FACTOR] [--quiet]

OPTIONS:
    --port PORT          port to listen on (default 8080; 0 picks a free one, printed at start)
    --host ADDRESS       address to bind (default 127.0.0.1, loopback only)
    --strict-auth        accept only bearer tokens issued by POST /authz/v1/oauth2/token
    --body-limit BYTES   largest request body (default 262144)
    --header-timeout SECONDS
                         close a connection whose client has not sent a request's head
                         (request line and headers) within this time (default 10)
    --history-limit N    operations kept per consumer, card and digital card; older ones are
                         forgotten (default 1000)
    --speed FACTOR       simulated seconds per real second (default 1): a card's production
                         (one simulated hour a step) and the waits between retries of calls to
                         the issuer run this much faster
    --quiet              log warnings and errors only (default: one line per request)
    -h, --help           print this help

APIs (base URLs for the generated client):
    http://HOST:PORT/banking/v1   Inbound Card, Digital Card and Physical Card APIs
    http://HOST:PORT/banking/v2   Inbound Consumer API
    http://HOST:PORT/authz/v1     OAuth token
    http://HOST:PORT/sandbox      set-up: PUT /sandbox/issuers/{issuerId}/cards/{cardId},
                                  PUT /sandbox/issuers/{issuerId}/digitalCards/{digitalCardId},
                                  GET /sandbox/state, GET /sandbox/keys/d1,
                                  PUT /sandbox/issuers/{issuerId}/key
    http://HOST:PORT/sandbox      outbound: PUT /sandbox/issuers/{issuerId}/endpoint (the issuer's
                                  service: {\"baseUrl\", \"clientId\", \"clientSecret\"}),
                                  GET /sandbox/outbound/calls,
                                  POST /sandbox/issuers/{issuerId}/outbound/{operation}

Data is held in memory only. Stop with Ctrl-C (or SIGTERM).";

struct Args {
    host: IpAddr,
    port: u16,
    options: d1_sandbox::Options,
    quiet: bool,
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let mut out = Args { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: 8080, options: Default::default(), quiet: false };
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| args.get(i + 1).ok_or_else(|| format!("{} needs a value", args[i]));
        match args[i].as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => out.port = value(i)?.parse().map_err(|_| "--port takes a number 0..=65535".to_string())?,
            "--host" => out.host = value(i)?.parse().map_err(|_| "--host takes an IP address".to_string())?,
            "--body-limit" => {
                out.options.body_limit =
                    Some(value(i)?.parse().map_err(|_| "--body-limit takes a number of bytes".to_string())?)
            }
            "--header-timeout" => {
                let seconds: f64 =
                    value(i)?.parse().map_err(|_| "--header-timeout takes a number of seconds".to_string())?;
                out.options.header_read_timeout = std::time::Duration::try_from_secs_f64(seconds)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| "--header-timeout takes a positive number of seconds".to_string())?;
            }
            "--history-limit" => {
                out.options.history_limit = value(i)?
                    .parse()
                    .ok()
                    .filter(|n: &usize| *n > 0)
                    .ok_or_else(|| "--history-limit takes a positive number".to_string())?
            }
            "--speed" => {
                out.options.speed = value(i)?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| "--speed takes a positive number".to_string())?
            }
            "--strict-auth" => {
                out.options.strict_auth = true;
                i += 1;
                continue;
            }
            "--quiet" => {
                out.quiet = true;
                i += 1;
                continue;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
        i += 2;
    }
    Ok(Some(out))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let level = if args.quiet { tracing::Level::WARN } else { tracing::Level::INFO };
    tracing_subscriber::fmt().with_max_level(level).with_target(false).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let address = SocketAddr::new(args.host, args.port);
        let listener = match tokio::net::TcpListener::bind(address).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {address}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let local = listener.local_addr().unwrap_or(address);
        println!("d1-sandbox listening on http://{local}");
        let sandbox = d1_sandbox::Sandbox::new(args.options);
        match d1_sandbox::serve(sandbox, listener, shutdown()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    println!("d1-sandbox stopping");
}
