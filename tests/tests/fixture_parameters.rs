//! Every parameter shape of the generator's `parameters.json` fixture over loopback: the
//! generated client calls the generated server, whose implementation records what it was
//! given; and hand-written URLs in each OpenAPI 3.0 style reach the server as the same values,
//! so both sides agree with the spec's wire format, not only with each other.

use std::sync::{Arc, Mutex};

use fixture_client::types::parameters::{Limited, Mode, Tag, Tags};
use fixture_client::{Client, Environment, RetryPolicy};
use fixture_server::parameters::{self as server, ParametersApi};
use fixture_server::ApiError;

/// Records a line per call.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn record(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn texts<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

impl ParametersApi for Recorder {
    async fn get_lines(&self, r: server::GetLinesRequest) -> Result<server::GetLinesResponse, ApiError> {
        self.record(format!(
            "lines modes={:?} ids={:?} tags={:?} words={:?} pipes={:?} repeated={:?} limited={:?} flags={:?} delivered={:?} anything={:?}",
            texts(&r.modes),
            r.ids,
            texts(r.tags.as_slice()),
            r.words,
            r.pipes,
            r.repeated,
            r.limited.as_ref().map(|l| l.as_slice().to_vec()),
            r.flags,
            r.delivered,
            r.anything,
        ));
        Ok(server::GetLinesResponse::NoContent)
    }

    async fn get_label(&self, r: server::GetLabelRequest) -> Result<server::GetLabelResponse, ApiError> {
        self.record(format!("label {:?}", r.parts));
        Ok(server::GetLabelResponse::NoContent)
    }

    async fn get_matrix(&self, r: server::GetMatrixRequest) -> Result<server::GetMatrixResponse, ApiError> {
        self.record(format!("matrix {:?}", r.parts));
        Ok(server::GetMatrixResponse::NoContent)
    }

    async fn get_matrix_exploded(
        &self,
        r: server::GetMatrixExplodedRequest,
    ) -> Result<server::GetMatrixExplodedResponse, ApiError> {
        self.record(format!("matrix-exploded {:?}", texts(r.parts.as_slice())));
        Ok(server::GetMatrixExplodedResponse::NoContent)
    }
}

/// The server on a loopback port: its base URL.
async fn serve(recorder: Recorder) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = server::router(recorder);
    tokio::spawn(async move { fixture_server::axum::serve(listener, app).await });
    base
}

/// The generated client's own HTTP client, for hand-written requests.
fn http_client(base: &str) -> reqwest::Client {
    Client::builder(Environment::url(base)).build().expect("client").http_client().clone()
}

fn tags(items: &[&str]) -> Tags {
    Tags::new(items.iter().map(|t| Tag::new(*t).expect("a valid tag")).collect()).expect("1 to 3 tags")
}

#[tokio::test]
async fn the_client_sends_every_style_the_server_reads() {
    let recorder = Recorder::default();
    let base = serve(recorder.clone()).await;
    let client = Client::builder(Environment::url(base)).retry(RetryPolicy::none()).build().expect("client");
    let api = client.parameters();

    api.get_lines(&[Mode::Bus, Mode::RiverBus], &[1, -2], &tags(&["a b", "c,d"]))
        .words(["one", "two words"].map(String::from))
        .pipes(["x|y", "z"].map(String::from))
        .repeated(["r1", "r2"].map(String::from))
        .limited(Limited::new(vec![7, 8]).expect("two items"))
        .flags(["f1", "f2"].map(String::from))
        .delivered("1")
        .anything(["true", "0"].map(String::from))
        .await
        .expect("get_lines");
    api.get_lines(&[Mode::Tube], &[5], &tags(&["only"])).await.expect("get_lines with the optional ones left out");
    api.get_label(&["a".into(), "b c".into()]).await.expect("get_label");
    api.get_matrix(&[3, 4]).await.expect("get_matrix");
    api.get_matrix_exploded(&tags(&["p", "q"])).await.expect("get_matrix_exploded");

    assert_eq!(
        recorder.take(),
        [
            // Items holding their own separator (`c,d`, `two words`, `x|y`) are split by the
            // server: OpenAPI 3.0's delimited styles have no escape for them.
            r#"lines modes=["bus", "river-bus"] ids=[1, -2] tags=["a b", "c,d"] words=Some(["one", "two", "words"]) pipes=Some(["x", "y", "z"]) repeated=Some(["r1", "r2"]) limited=Some([7, 8]) flags=Some(["f1", "f2"]) delivered=Some("1") anything=Some(["true", "0"])"#,
            r#"lines modes=["tube"] ids=[5] tags=["only"] words=None pipes=None repeated=None limited=None flags=None delivered=None anything=None"#,
            r#"label ["a", "b c"]"#,
            "matrix [3, 4]",
            r#"matrix-exploded ["p", "q"]"#,
        ]
    );
}

#[tokio::test]
async fn the_server_reads_the_styles_as_openapi_writes_them() {
    let recorder = Recorder::default();
    let base = serve(recorder.clone()).await;
    let http = http_client(&base);
    for (path, status) in [
        ("/lines/bus,tube?ids=1,2&tags=t1&tags=t2&words=a%20b&pipes=c|d&limited=5,6&X", 204),
        ("/label/.a.b", 204),
        ("/matrix/;parts=1,2", 204),
        ("/matrix-exploded/;parts=x;parts=y", 204),
        // Broken constraints and layouts are 400s.
        ("/lines/bus?ids=1&tags=t1&tags=t2&tags=t3&tags=t4", 400),
        ("/lines/bus?ids=1&tags=t1&limited=1,2,3", 400),
        ("/lines/bus?ids=x&tags=t1", 400),
        ("/matrix-exploded/;parts=x;parts=longer-than-8", 400),
        ("/matrix/1,2", 400),
        ("/label/a.b", 400),
    ] {
        let response = http.get(format!("{base}{path}")).send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{path}: {}", response.text().await.unwrap_or_default());
    }
    assert_eq!(
        recorder.take(),
        [
            r#"lines modes=["bus", "tube"] ids=[1, 2] tags=["t1", "t2"] words=Some(["a", "b"]) pipes=Some(["c", "d"]) repeated=None limited=Some([5, 6]) flags=None delivered=None anything=None"#,
            r#"label ["a", "b"]"#,
            "matrix [1, 2]",
            r#"matrix-exploded ["x", "y"]"#,
        ]
    );
}

#[tokio::test]
async fn a_violation_names_the_parameter() {
    let base = serve(Recorder::default()).await;
    let http = http_client(&base);
    for (path, parameter) in [
        ("/lines/bus?ids=1&tags=t1&tags=t2&tags=t3&tags=t4", "tags"),
        ("/lines/bus?ids=1&tags=t1&limited=1", "limited"),
        ("/matrix/1,2", "parts"),
    ] {
        let body = http.get(format!("{base}{path}")).send().await.expect("request").text().await.expect("body");
        assert!(body.contains(&format!("\"{parameter}\"")), "{path}: {body}");
    }
}

/// What reached a plain HTTP server: the path and query, and the `X-Flags` header.
async fn raw_server(seen: Recorder) -> String {
    use fixture_server::axum::{http::Request, http::StatusCode, Router};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new().fallback(move |request: Request<fixture_server::axum::body::Body>| {
        let flags = request.headers().get("x-flags").and_then(|v| v.to_str().ok()).map(str::to_string);
        seen.record(format!("{} {flags:?}", request.uri()));
        async { StatusCode::NO_CONTENT }
    });
    tokio::spawn(async move { fixture_server::axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_client_writes_the_styles_as_openapi_specifies() {
    let seen = Recorder::default();
    let base = raw_server(seen.clone()).await;
    let client = Client::builder(Environment::url(base)).retry(RetryPolicy::none()).build().expect("client");
    let api = client.parameters();
    api.get_lines(&[Mode::Bus, Mode::RiverBus], &[1, -2], &tags(&["a b", "c"]))
        .words(["one", "two"].map(String::from))
        .pipes(["x", "z"].map(String::from))
        .repeated(["r1", "r2"].map(String::from))
        .limited(Limited::new(vec![7, 8]).expect("two items"))
        .flags(["f1", "f2"].map(String::from))
        .await
        .expect("get_lines");
    api.get_label(&["a".into(), "b/c".into()]).await.expect("get_label");
    api.get_matrix(&[3, 4]).await.expect("get_matrix");
    api.get_matrix_exploded(&tags(&["p", "q"])).await.expect("get_matrix_exploded");
    assert_eq!(
        seen.take(),
        [
            "/lines/bus,river-bus?ids=1%2C-2&tags=a%20b&tags=c&words=one%20two&pipes=x%7Cz&repeated=r1&repeated=r2&limited=7%2C8 Some(\"f1,f2\")",
            "/label/.a.b%2Fc None",
            "/matrix/;parts=3,4 None",
            "/matrix-exploded/;parts=p;parts=q None",
        ]
    );
}
