//! Per-call overhead of the generated client against a hand-written reqwest call of the same
//! request (same reqwest client, same loopback server, same run): `POST` in_v1_card suspend
//! with path parameters, `x-correlation-id`, a bearer token and a JSON body, answered `204`.
//!
//! `cargo bench -p d1-tests --bench client`; compare the two medians (ratio = generated /
//! hand-written). The server is scripted raw tokio on 127.0.0.1 (tests/tests/client_support.rs).

#[path = "../tests/client_support.rs"]
mod client_support;

use client_support::{Recorded, Reply, Server};
use criterion::{criterion_group, criterion_main, Criterion};
use d1_client::types::common::IssuerId;
use d1_client::types::in_v1_card::{CardId, CorrelationId, OperationRequest};
use d1_client::{Client, Environment, StaticToken};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = rt.block_on(Server::start(|_: &Recorded| Reply::status(204)));
    let base = server.base();
    let client = Client::builder(Environment::url(base.clone()))
        .token_provider(StaticToken::new("bench-token"))
        .build()
        .expect("client");
    let http = client.http_client().clone();
    let issuer = IssuerId::new("ISSUER0001").expect("valid");
    let card = CardId::new("card_0001").expect("valid");
    let correlation = CorrelationId::new("bench-correlation-1").expect("valid");
    let body: OperationRequest = serde_json::from_value(serde_json::json!({ "reason": "lost card" })).expect("valid");

    let generated = || {
        rt.block_on(async {
            let response = client
                .in_v1_card()
                .suspend(&issuer, &card)
                .correlation_id(correlation.clone())
                .body(body.clone())
                .await
                .expect("204");
            assert_eq!(response.status(), 204);
        })
    };
    let hand_written = || {
        rt.block_on(async {
            let url = format!("{base}/issuers/{}/cards/{}/operations:suspend", issuer.as_str(), card.as_str());
            let response = http
                .post(url)
                .header("x-correlation-id", correlation.as_str())
                .header("authorization", "Bearer bench-token")
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).expect("serialises"))
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            let _ = response.bytes().await.expect("body");
            assert_eq!(status, 204);
        })
    };

    // Interleaved: the two calls alternate, so load from other processes on this shared
    // machine hits both alike; the medians' ratio is the overhead figure to quote.
    let rounds = 20_000;
    let (mut g, mut h) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for i in 0..rounds {
        let order: [&dyn Fn(); 2] = if i % 2 == 0 { [&generated, &hand_written] } else { [&hand_written, &generated] };
        for (k, f) in order.iter().enumerate() {
            let started = std::time::Instant::now();
            f();
            let took = started.elapsed();
            if (k == 0) == (i % 2 == 0) {
                g.push(took)
            } else {
                h.push(took)
            }
        }
    }
    g.sort_unstable();
    h.sort_unstable();
    let (gm, hm) = (g[rounds / 2], h[rounds / 2]);
    println!(
        "interleaved medians over {rounds} rounds: generated {gm:?}, hand-written {hm:?}, ratio {:.3} (p90 {:?} vs {:?})",
        gm.as_secs_f64() / hm.as_secs_f64(),
        g[rounds * 9 / 10],
        h[rounds * 9 / 10]
    );

    let mut group = c.benchmark_group("suspend_call");
    group.bench_function("generated_client", |b| b.iter(generated));
    group.bench_function("generated_client_fresh_correlation_id", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = client.in_v1_card().suspend(&issuer, &card).body(body.clone()).await.expect("204");
                assert_eq!(response.status(), 204);
            })
        })
    });
    group.bench_function("hand_written_reqwest", |b| b.iter(hand_written));
    group.finish();
    drop(server);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
