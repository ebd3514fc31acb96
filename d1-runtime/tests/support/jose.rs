//! Driver of the independent JOSE peer (`d1-runtime/tests/jose/jwe_helper.py`, Python `jwcrypto`).

// Shared by several test crates (see `mod` lines that name this file), each using a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

/// The exact install line for the peer (also used by CI).
pub const INSTALL: &str = "pip install 'jwcrypto>=1.5.6'";

/// Python `jwcrypto`, run through `d1-runtime/tests/jose/jwe_helper.py`.
pub struct Peer {
    python: String,
    script: PathBuf,
}

impl Peer {
    /// Finds `python3` (or `$D1_TESTS_PYTHON`) with `jwcrypto`. Panics — failing the
    /// test, never skipping it — with the install command if either is missing.
    pub fn new() -> Self {
        let python = std::env::var("D1_TESTS_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-runtime/tests/jose/jwe_helper.py");
        let peer = Self { python, script };
        let check = peer.try_run(&[json!({"op": "check"})]);
        match check {
            Ok(r) if r.first().is_some_and(|r| r["ok"] == true) => peer,
            Ok(r) => panic!("the JOSE peer did not answer `check`: {r:?}; install it with: {INSTALL}"),
            Err(e) => panic!(
                "the independent JOSE peer (Python jwcrypto) is required by this test and is \
                 missing: {e}\nInstall it with: {INSTALL}\n(set D1_TESTS_PYTHON to use another \
                 interpreter than python3)"
            ),
        }
    }

    fn try_run(&self, ops: &[Value]) -> Result<Vec<Value>, String> {
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.python))?;
        let job = serde_json::to_vec(&json!({ "ops": ops })).map_err(|e| e.to_string())?;
        child.stdin.take().ok_or("no stdin")?.write_all(&job).map_err(|e| format!("cannot write to the peer: {e}"))?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value: Value = serde_json::from_str(&stdout).map_err(|_| {
            format!(
                "the peer exited with {} and printed {stdout:?}; stderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        if let Some(fatal) = value.get("fatal") {
            return Err(fatal.to_string());
        }
        match value.get("results").and_then(Value::as_array) {
            Some(r) => Ok(r.clone()),
            None => Err(format!("unexpected answer {value}")),
        }
    }

    /// Runs a batch of ops; one result per op (`{"ok": bool, ...}`).
    pub fn run(&self, ops: &[Value]) -> Vec<Value> {
        self.try_run(ops).unwrap_or_else(|e| panic!("JOSE peer failed: {e}"))
    }

    /// Runs one op and returns its result, panicking if the peer reports an error.
    pub fn ok(&self, op: Value) -> Value {
        let r = self.run(std::slice::from_ref(&op)).pop().unwrap_or(Value::Null);
        assert_eq!(r["ok"], true, "jwcrypto failed on {op}: {r}");
        r
    }
}

impl Default for Peer {
    fn default() -> Self {
        Self::new()
    }
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty directory.
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "d1-tests-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A file in the directory, as a string (for the peer's JSON).
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    /// Reads a file the peer wrote.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// Writes a file for the peer.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
