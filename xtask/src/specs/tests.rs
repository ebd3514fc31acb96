//! `specs pull`, `record` and `check` against a real HTTP server on loopback (and real curl).

use super::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;

const V1: &str =
    "{\n  \"openapi\": \"3.0.3\",\n  \"info\": { \"title\": \"A\", \"version\": \"1.0\" },\n  \"paths\": {}\n}\n";
const V2: &str =
    "{\n  \"openapi\": \"3.0.3\",\n  \"info\": { \"title\": \"A\", \"version\": \"2.0\" },\n  \"paths\": {}\n}\n";
const B: &str =
    "{\n  \"openapi\": \"3.0.3\",\n  \"info\": { \"title\": \"B\", \"version\": \"1.0\" },\n  \"paths\": {}\n}\n";
const LOGIN_PAGE: &str =
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action=\"/login\"></form></body></html>\n";

/// What the server does for one path.
enum Reply {
    /// Send these bytes, then close.
    Raw(Vec<u8>),
    /// Say nothing for this long, then close.
    Stall(Duration),
}

fn ok(body: &str) -> Reply {
    Reply::Raw(
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .into_bytes(),
    )
}

fn not_found() -> Reply {
    Reply::Raw(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found".to_vec())
}

/// An HTTP/1.1 server on 127.0.0.1 answering each path with its reply (404 for the others);
/// returns its base URL. The thread lives as long as the test process.
fn serve(routes: Vec<(&'static str, Reply)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let routes = std::sync::Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = routes.clone();
            std::thread::spawn(move || answer(stream, &routes));
        }
    });
    base
}

fn answer(mut stream: std::net::TcpStream, routes: &[(&'static str, Reply)]) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or("");
    match routes.iter().find(|(route, _)| *route == path).map(|(_, reply)| reply) {
        Some(Reply::Raw(bytes)) => {
            let _ = stream.write_all(bytes);
        }
        Some(Reply::Stall(time)) => std::thread::sleep(*time),
        None => {
            if let Reply::Raw(bytes) = not_found() {
                let _ = stream.write_all(&bytes);
            }
        }
    }
}

/// A specs folder with `A.json` (version 1.0) and `B.json`, recorded in its manifest with the given URLs.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(url_a: &str, url_b: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-specs-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the fixture folder");
        std::fs::write(dir.join("A.json"), V1).expect("write A.json");
        std::fs::write(dir.join("B.json"), B).expect("write B.json");
        record(&dir, &[]).expect("record the fixture");
        let mut manifest = read_manifest(&dir.join(MANIFEST)).expect("read the fixture manifest");
        manifest.files[0].url = url_a.to_string();
        manifest.files[1].url = url_b.to_string();
        std::fs::write(dir.join(MANIFEST), render_manifest(&manifest).expect("render")).expect("write the manifest");
        Fixture { dir }
    }

    /// Every file in the folder, with its bytes (temporary files included, so none may be left).
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        files_under(&self.dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("read"))).collect()
    }

    fn entry(&self, path: &str) -> Entry {
        let manifest = read_manifest(&self.dir.join(MANIFEST)).expect("read the manifest");
        manifest.files.into_iter().find(|e| e.path == path).expect("entry listed")
    }

    /// Pull `names`, expect a failure that mentions `expected`, and that nothing changed.
    fn pull_fails(&self, names: &[&str], limits: &Limits, expected: &str) {
        let before = self.snapshot();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let error = pull(&self.dir, &names, limits).expect_err("the pull should fail");
        assert!(error.contains(expected), "error should mention {expected:?}: {error}");
        println!("refused as expected: {error}");
        assert!(error.contains("nothing was changed"), "{error}");
        assert_eq!(self.snapshot(), before, "a failed pull changed the folder");
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn limits() -> Limits {
    Limits { timeout: Duration::from_secs(10), max_bytes: 64 << 10 }
}

#[test]
fn a_new_version_is_installed_and_recorded() {
    let base = serve(vec![("/A.yaml", ok(V2))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    let pulled = pull(&fixture.dir, &["A".to_string()], &limits()).expect("pull");
    assert_eq!(pulled.changed, ["A.json"]);
    assert_eq!(std::fs::read_to_string(fixture.dir.join("A.json")).expect("read"), V2);
    let entry = fixture.entry("A.json");
    assert_eq!((entry.version.as_str(), entry.sha256.as_str()), ("2.0", sha256_hex(V2.as_bytes()).as_str()));
    assert_eq!(entry.source, PULLED);
    check(&fixture.dir).expect("the folder matches its manifest after a pull");
    assert_eq!(fixture.entry("B.json").sha256, sha256_hex(B.as_bytes()), "B was not touched");
}

#[test]
fn an_overlay_that_no_longer_applies_is_a_warning() {
    let base = serve(vec![("/A.yaml", ok(V2))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    std::fs::create_dir_all(fixture.dir.join("overlays")).expect("mkdir");
    let overlay = |target: &str| {
        let text = format!(
            "{{\"overlay\": \"1.0.0\", \"info\": {{\"title\": \"o\", \"version\": \"1\"}}, \"extends\": \"../A.json\", \
             \"actions\": [{{\"target\": \"{target}\", \"update\": {{\"description\": \"d\"}}}}]}}"
        );
        std::fs::write(fixture.dir.join("overlays/A.overlay.json"), text).expect("write the overlay");
        record(&fixture.dir, &[]).expect("record the overlay");
    };
    overlay("$.components.schemas.Gone");
    let pulled = pull(&fixture.dir, &[], &limits()).expect("the pull succeeds");
    assert_eq!(pulled.changed, ["A.json"]);
    assert!(pulled.warnings.len() == 1 && pulled.warnings[0].contains("Gone"), "{:?}", pulled.warnings);

    std::fs::write(fixture.dir.join("A.json"), V1).expect("back to 1.0");
    overlay("$.info");
    let pulled = pull(&fixture.dir, &[], &limits()).expect("the pull succeeds");
    assert_eq!((pulled.changed.len(), pulled.warnings.len()), (1, 0), "an overlay that applies: {pulled:?}");
}

#[test]
fn an_unchanged_file_changes_nothing() {
    let base = serve(vec![("/A.yaml", ok(V1))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    let before = fixture.snapshot();
    let pulled = pull(&fixture.dir, &[], &limits()).expect("pull");
    let expected = Pulled { unchanged: vec!["A.json".into()], skipped: vec!["B.json".into()], ..Pulled::default() };
    assert_eq!(pulled, expected);
    assert_eq!(fixture.snapshot(), before);
}

#[test]
fn a_404_changes_nothing() {
    let base = serve(vec![]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    fixture.pull_fails(&["A"], &limits(), "404");
}

#[test]
fn a_truncated_body_changes_nothing() {
    // Content-Length promises more than is sent before the connection closes.
    let short = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", V2.len() + 100, V2);
    let base = serve(vec![("/A.yaml", Reply::Raw(short.into_bytes()))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    fixture.pull_fails(&["A"], &limits(), "curl: (18)");
}

#[test]
fn a_login_page_changes_nothing() {
    let page = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{LOGIN_PAGE}",
        LOGIN_PAGE.len()
    );
    let base = serve(vec![("/A.yaml", Reply::Raw(page.into_bytes()))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    fixture.pull_fails(&["A"], &limits(), "an HTML page");
}

#[test]
fn a_spec_the_generator_refuses_changes_nothing() {
    let openapi_31 = V2.replace("3.0.3", "3.1.0");
    let broken = "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"A\", \"version\": \"2.0\"}, \"paths\": {\"/x\": {\"get\": {\"responses\": 5}}}}";
    let not_json = "{\"openapi\": \"3.0.3\", \"info\": ";
    let overlay = "{\"overlay\": \"1.0.0\", \"info\": {\"title\": \"o\", \"version\": \"1\"}, \"extends\": \"A.json\", \"actions\": []}";
    let base = serve(vec![
        ("/31.yaml", ok(&openapi_31)),
        ("/broken.yaml", ok(broken)),
        ("/cut.yaml", ok(not_json)),
        ("/overlay.yaml", ok(overlay)),
    ]);
    for (route, expected) in [
        ("31", "3.1.0 is not supported"),
        ("broken", "specs/A.json#/paths"),
        ("cut", "invalid JSON"),
        ("overlay", "specs/A.json#/extends"),
    ] {
        let fixture = Fixture::new(&format!("{base}/{route}.yaml"), "");
        fixture.pull_fails(&["A.json"], &limits(), expected);
    }
}

#[test]
fn a_timeout_changes_nothing() {
    let base = serve(vec![("/A.yaml", Reply::Stall(Duration::from_secs(5)))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    let started = std::time::Instant::now();
    fixture.pull_fails(&["A"], &Limits { timeout: Duration::from_millis(500), ..limits() }, "timed out");
    assert!(started.elapsed() < Duration::from_secs(4), "the timeout was not applied");
}

#[test]
fn a_body_over_the_size_cap_changes_nothing() {
    // No Content-Length: curl cannot refuse it up front, the cap is counted while reading.
    let big = format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}", " ".repeat(4096));
    let base = serve(vec![("/A.yaml", Reply::Raw(big.into_bytes()))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    fixture.pull_fails(&["A"], &Limits { max_bytes: 1024, ..limits() }, "larger than 1024 bytes");
}

#[test]
fn one_failed_download_changes_no_file() {
    let base = serve(vec![("/A.yaml", ok(V2))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), &format!("{base}/missing.yaml"));
    fixture.pull_fails(&[], &limits(), "B.json");
}

#[test]
fn unknown_names_and_other_schemes_are_refused() {
    let fixture = Fixture::new("ftp://127.0.0.1/A.yaml", "http://example.com/B.yaml");
    fixture.pull_fails(&["A"], &limits(), "only https://");
    fixture.pull_fails(&["B"], &limits(), "only https://");
    let error = pull(&fixture.dir, &["C".to_string()], &limits()).expect_err("C is not listed");
    assert!(error.contains("not in sources.toml: C") && error.contains("A.json, B.json"), "{error}");
    for url in ["http://127.0.0.1:80/x", "http://localhost/x", "http://[::1]:8080/x"] {
        assert!(is_loopback_http(url), "{url}");
    }
    for url in ["http://127.0.0.1.example.com/x", "http://example.com/127.0.0.1", "https://127.0.0.1/x"] {
        assert!(!is_loopback_http(url), "{url}");
    }
}

#[test]
fn check_finds_edits_and_unlisted_files_until_they_are_recorded() {
    let fixture = Fixture::new("", "");
    check(&fixture.dir).expect("a fresh fixture matches");

    std::fs::write(fixture.dir.join("A.json"), V2).expect("edit A.json");
    std::fs::create_dir_all(fixture.dir.join("overlays")).expect("mkdir");
    std::fs::write(fixture.dir.join("overlays/C.overlay.yaml"), "overlay: 1.0.0\n").expect("add a file");
    let error = check(&fixture.dir).expect_err("an edited and an unlisted file");
    assert!(error.contains("A.json: SHA-256"), "{error}");
    assert!(error.contains("overlays/C.overlay.yaml: not listed"), "{error}");
    assert!(error.contains("cargo xtask specs record"), "the message says how to record an edit: {error}");

    record(&fixture.dir, &["A".to_string()]).expect("record A");
    assert_eq!(fixture.entry("A.json").version, "2.0");
    assert!(check(&fixture.dir).expect_err("C is still unlisted").contains("C.overlay.yaml"));
    record(&fixture.dir, &[]).expect("record everything");
    assert_eq!(fixture.entry("overlays/C.overlay.yaml").url, "");
    check(&fixture.dir).expect("everything recorded");

    std::fs::remove_file(fixture.dir.join("B.json")).expect("remove B");
    assert!(check(&fixture.dir).expect_err("B is gone").contains("B.json: listed in sources.toml but cannot be read"));
    record(&fixture.dir, &[]).expect("record the removal");
    check(&fixture.dir).expect("B dropped from the manifest");
}

#[test]
fn the_change_report_sees_the_whole_folder_before_and_after() {
    let fixture = Fixture::new("", "");
    let manifest = read_manifest(&fixture.dir.join(MANIFEST)).expect("read the manifest");
    let a =
        Install { relative: "A.json".into(), path: fixture.dir.join("A.json"), old: Some(V1.into()), new: V2.into() };
    let scratch = before_and_after(&fixture.dir, &manifest, &[a]).expect("copies");
    let read = |p: &str| std::fs::read_to_string(scratch.dir.join(p)).expect("copied");
    assert_eq!((read("old/A.json"), read("new/A.json")), (V1.to_string(), V2.to_string()));
    assert_eq!((read("old/B.json"), read("new/B.json")), (B.to_string(), B.to_string()));
}

#[test]
fn a_listed_file_missing_from_the_folder_is_created() {
    let base = serve(vec![("/A.yaml", ok(V2))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    std::fs::remove_file(fixture.dir.join("A.json")).expect("remove A.json");
    let pulled = pull(&fixture.dir, &["A".to_string()], &limits()).expect("pull");
    assert_eq!(pulled.changed, ["A.json"]);
    assert_eq!(std::fs::read_to_string(fixture.dir.join("A.json")).expect("created"), V2);
    check(&fixture.dir).expect("recorded");
}

#[test]
fn a_failed_install_is_undone() {
    let base = serve(vec![("/A.yaml", ok(V2))]);
    let fixture = Fixture::new(&format!("{base}/A.yaml"), "");
    let before = fixture.snapshot();
    // A folder where the manifest's temporary file goes: A.json is replaced, then the manifest
    // cannot be (whoever runs the test, root included).
    let blocker = fixture.dir.join(format!(".{MANIFEST}.{}.tmp", std::process::id()));
    std::fs::create_dir(&blocker).expect("create the blocker");
    let error = pull(&fixture.dir, &[], &limits()).expect_err("the manifest cannot be written");
    assert!(error.contains("the pull was undone"), "{error}");
    std::fs::remove_dir(&blocker).expect("remove the blocker");
    assert_eq!(fixture.snapshot(), before, "A.json was put back");
}
