//! Every parameter shape of the generator's `parameters.json` fixture over loopback: the
//! generated client calls the generated server, whose implementation records what it was
//! given; and hand-written URLs in each OpenAPI 3.0 style reach the server as the same values,
//! so both sides agree with the spec's wire format, not only with each other. Objects, maps and
//! unions go through `d1_runtime::style`: their shapes in each style are below, after the lists.

use std::sync::{Arc, Mutex};

use fixture_client::types::parameters::{
    Color, Created, Limited, Mode, Nested, Order, Point, Range, Tag, Tags, WorkflowId, B,
};
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

    async fn get_objects(&self, r: server::GetObjectsRequest) -> Result<server::GetObjectsResponse, ApiError> {
        self.record(format!(
            "objects color={:?} point={:?} box={:?} filter={:?} created={:?} labels={:?} x-color={:?} prefs={:?} where={:?}",
            r.color, r.point, r.box_, r.filter, r.created, r.labels, r.color2, r.prefs, r.where_
        ));
        Ok(server::GetObjectsResponse::NoContent)
    }

    async fn get_nesting(&self, r: server::GetNestingRequest) -> Result<server::GetNestingResponse, ApiError> {
        self.record(format!(
            "nesting expand={:?} nested={:?} points={:?} grid={:?}",
            r.expand, r.nested, r.points, r.grid
        ));
        Ok(server::GetNestingResponse::NoContent)
    }

    async fn get_workflow(&self, r: server::GetWorkflowRequest) -> Result<server::GetWorkflowResponse, ApiError> {
        self.record(format!("workflow {:?} order={:?}", r.workflow_id, r.order));
        Ok(server::GetWorkflowResponse::NoContent)
    }

    async fn get_styled(&self, r: server::GetStyledRequest) -> Result<server::GetStyledResponse, ApiError> {
        self.record(format!("styled lab={:?} mat={:?} page={}", r.lab, r.mat, r.page));
        Ok(server::GetStyledResponse::NoContent)
    }

    async fn get_map(&self, r: server::GetMapRequest) -> Result<server::GetMapResponse, ApiError> {
        self.record(format!("map limit={:?} extra={:?}", r.limit, r.extra));
        Ok(server::GetMapResponse::NoContent)
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

fn color(r: i32, g: i32, b: i32) -> Color {
    Color::new(r).with_g(g).with_b(B::new(b).expect("at most 255"))
}

/// Calls every operation with an object, a map or a union, with every optional input set.
async fn call_every_shape(client: &Client) {
    let api = client.parameters();
    api.get_objects(&color(1, 2, 3))
        .point(Point::new(4, -5))
        .box_(Point::new(6, 7))
        .filter(Range::default().with_gte(1).with_lt(9))
        .created(Created::Range(Range::default().with_gte(10)))
        .labels([("team".to_string(), "a b".into()), ("n".to_string(), 5.into())].into_iter().collect())
        .color2(Color::new(8))
        .prefs([("lang".to_string(), "fr".to_string()), ("theme".to_string(), "dark".to_string())].into())
        .where_(Point::new(0, 1))
        .await
        .expect("get_objects");
    api.get_objects(&Color::new(0)).created(Created::Integer(1700000000)).await.expect("get_objects, a scalar union");
    api.get_nesting()
        .expand(vec!["customer".into(), "invoice.lines".into()])
        .nested(
            Nested::default()
                .with_range(Range::default().with_lt(3))
                .with_tags(vec!["x".to_string(), "y,z".to_string()]),
        )
        .points(vec![Point::new(1, 2), Point::new(3, 4)])
        .grid(vec![vec![1, 2], vec![]])
        .await
        .expect("get_nesting");
    api.get_workflow(&WorkflowId::Integer(42)).await.expect("get_workflow, an integer");
    api.get_workflow(&WorkflowId::String("ci.yml".into()))
        .order(Order::Integer(2))
        .await
        .expect("get_workflow, a name");
    api.get_styled(&color(1, 2, 3), &Color::new(4).with_g(5), &6).await.expect("get_styled");
    api.get_map().limit(10).extra([("a".to_string(), 1), ("b".to_string(), -2)].into()).await.expect("get_map");
}

#[tokio::test]
async fn objects_maps_and_unions_round_trip() {
    let recorder = Recorder::default();
    let base = serve(recorder.clone()).await;
    let client = Client::builder(Environment::url(base)).retry(RetryPolicy::none()).build().expect("client");
    call_every_shape(&client).await;
    assert_eq!(
        recorder.take(),
        [
            r#"objects color=Color { r: 1, g: Some(2), b: Some(B(3)) } point=Some(Point { x: 4, y: -5 }) box=Some(Point { x: 6, y: 7 }) filter=Some(Range { gte: Some(1), lt: Some(9) }) created=Some(Range(Range { gte: Some(10), lt: None })) labels=Some({"n": String("5"), "team": String("a b")}) x-color=Some(Color { r: 8, g: None, b: None }) prefs=Some({"lang": "fr", "theme": "dark"}) where=Some(Point { x: 0, y: 1 })"#,
            r#"objects color=Color { r: 0, g: None, b: None } point=None box=None filter=None created=Some(Integer(1700000000)) labels=None x-color=None prefs=None where=None"#,
            r#"nesting expand=Some(["customer", "invoice.lines"]) nested=Some(Nested { range: Some(Range { gte: None, lt: Some(3) }), tags: Some(["x", "y,z"]) }) points=Some([Point { x: 1, y: 2 }, Point { x: 3, y: 4 }]) grid=Some([[1, 2], []])"#,
            r#"workflow Integer(42) order=String("name")"#,
            r#"workflow String("ci.yml") order=Integer(2)"#,
            "styled lab=Color { r: 1, g: Some(2), b: Some(B(3)) } mat=Color { r: 4, g: Some(5), b: None } page=6",
            r#"map limit=Some(10) extra=Some({"a": 1, "b": -2})"#,
        ]
    );
}

#[tokio::test]
async fn the_server_reads_objects_as_openapi_writes_them() {
    let recorder = Recorder::default();
    let base = serve(recorder.clone()).await;
    let http = http_client(&base);
    for (path, headers, status) in [
        // The examples of OpenAPI 3.0 §Style Values, object column.
        ("/objects/R,100,G,200,B,150?x=1&y=2&box=x,3,y,4&filter[gte]=5&created=7", [("x-color", "R=1,G=2")], 204),
        ("/objects/R,1?created[lt]=8&labels[k]=v&where=%7B%22x%22:1,%22y%22:2%7D", [("cookie", "prefs=a=1,b=2")], 204),
        ("/styled/.R=100.G=200.B=150/;mat=R,1,G,2/;page=3", [("x-none", "")], 204),
        ("/workflows/42", [("x-none", "")], 204),
        ("/workflows/deploy.yml?order=7a", [("x-none", "")], 204),
        ("/nesting?expand[1]=b&expand[0]=a&nested[range][gte]=2&nested[tags][0]=t&points=[%7B%22x%22:1,%22y%22:2%7D]", [("x-none", "")], 204),
        ("/map?limit=1&a=2&b=3", [("x-none", "")], 204),
        // What does not fit its type is a 400.
        ("/objects/R,x", [("x-none", "")], 400),
        ("/objects/R,1,B,256", [("x-none", "")], 400),
        ("/objects/G,1", [("x-none", "")], 400),
        ("/objects/R,1?x=1", [("x-none", "")], 400),
        ("/objects/R,1?created[gte]=soon", [("x-none", "")], 400),
        ("/objects/R,1?created=soon", [("x-none", "")], 400),
        ("/objects/R,1", [("x-color", "R=1,G")], 400),
        ("/styled/R=1/;mat=R,1/;page=3", [("x-none", "")], 400),
        ("/styled/.R=1/;mat=R,1/;page=x", [("x-none", "")], 400),
        ("/map?a=x", [("x-none", "")], 400),
        ("/nesting?expand[a]=b", [("x-none", "")], 400),
        ("/nesting?points=1", [("x-none", "")], 400),
    ] {
        let mut request = http.get(format!("{base}{path}"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{path}: {}", response.text().await.unwrap_or_default());
    }
    assert_eq!(
        recorder.take(),
        [
            r#"objects color=Color { r: 100, g: Some(200), b: Some(B(150)) } point=Some(Point { x: 1, y: 2 }) box=Some(Point { x: 3, y: 4 }) filter=Some(Range { gte: Some(5), lt: None }) created=Some(Integer(7)) labels=None x-color=Some(Color { r: 1, g: Some(2), b: None }) prefs=None where=None"#,
            r#"objects color=Color { r: 1, g: None, b: None } point=None box=None filter=None created=Some(Range(Range { gte: None, lt: Some(8) })) labels=Some({"k": String("v")}) x-color=None prefs=Some({"a": "1", "b": "2"}) where=Some(Point { x: 1, y: 2 })"#,
            "styled lab=Color { r: 100, g: Some(200), b: Some(B(150)) } mat=Color { r: 1, g: Some(2), b: None } page=3",
            r#"workflow Integer(42) order=String("name")"#,
            r#"workflow String("deploy.yml") order=String("7a")"#,
            r#"nesting expand=Some(["a", "b"]) nested=Some(Nested { range: Some(Range { gte: Some(2), lt: None }), tags: Some(["t"]) }) points=Some([Point { x: 1, y: 2 }]) grid=None"#,
            r#"map limit=Some(1) extra=Some({"a": 2, "b": 3})"#,
        ]
    );
}

/// What reached a plain HTTP server: the path and query, the `X-Color` header and the cookies.
async fn raw_object_server(seen: Recorder) -> String {
    use fixture_server::axum::{http::Request, http::StatusCode, Router};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new().fallback(move |request: Request<fixture_server::axum::body::Body>| {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        seen.record(format!("{} {:?} {:?}", request.uri(), header("x-color"), header("cookie")));
        async { StatusCode::NO_CONTENT }
    });
    tokio::spawn(async move { fixture_server::axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_client_writes_objects_as_openapi_specifies() {
    let seen = Recorder::default();
    let base = raw_object_server(seen.clone()).await;
    let client = Client::builder(Environment::url(base)).retry(RetryPolicy::none()).build().expect("client");
    call_every_shape(&client).await;
    assert_eq!(
        seen.take(),
        [
            // Members come in the order of their names; `,` `=` `[` `]` in query values are
            // percent-encoded like any other character there, as the existing lists are.
            "/objects/B,3,G,2,R,1?x=4&y=-5&box=x%2C6%2Cy%2C7&filter%5Bgte%5D=1&filter%5Blt%5D=9&created%5Bgte%5D=10&labels%5Bn%5D=5&labels%5Bteam%5D=a%20b&where=%7B%22x%22%3A0%2C%22y%22%3A1%7D Some(\"R=8\") Some(\"prefs=lang=fr,theme=dark\")",
            "/objects/R,0?created=1700000000 None None",
            "/nesting?expand%5B0%5D=customer&expand%5B1%5D=invoice.lines&nested%5Brange%5D%5Blt%5D=3&nested%5Btags%5D%5B0%5D=x&nested%5Btags%5D%5B1%5D=y%2Cz&points=%5B%7B%22x%22%3A1%2C%22y%22%3A2%7D%2C%7B%22x%22%3A3%2C%22y%22%3A4%7D%5D&grid=%5B%5B1%2C2%5D%2C%5B%5D%5D None None",
            "/workflows/42 None None",
            "/workflows/ci.yml?order=2 None None",
            "/styled/.B=3.G=2.R=1/;mat=G,5,R,4/;page=6 None None",
            "/map?limit=10&a=1&b=-2 None None",
        ]
    );
}
