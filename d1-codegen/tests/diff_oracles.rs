//! `d1_codegen::diff` against two independent oracles, on the committed spec pairs of
//! `d1-codegen/tests/diff-pairs/<case>/{old,new}/`:
//!
//! * **openapi-diff** (npm, pinned in `tests/npm/`) judges the specs on the wire, for API
//!   consumers: its "breaking" is compared with our verdict for client users;
//! * **cargo-semver-checks** (crates.io, pinned and installed by `cargo xtask test`) judges the
//!   crates generated from the old and the new specs: a major change in `d1-types` or
//!   `d1-client` is compared with our verdict for client users, in `d1-types` or `d1-server`
//!   with our verdict for server implementers.
//!
//! The test prints the agreement table and fails on any disagreement that [`DISAGREEMENTS`]
//! does not list with its reason — and on a listed one that no longer happens, so the list
//! stays true. A missing tool is a failure with the install line, never a silent pass.

use d1_codegen::diff::{self, Verdict};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where an oracle and `cargo xtask diff` disagree, and why: (case, oracle, reason). The
/// reasons are about the generated API as it is today — `#[non_exhaustive]` structs and enums
/// built through constructors (`diff::EXHAUSTIVE_TYPES` is `false`); when that changes, rerun
/// and update this table.
const DISAGREEMENTS: &[(&str, &str, &str)] = &[
    (
        "remove-enum-value",
        "openapi-diff",
        "openapi-diff 0.24 does not compare `enum`s; on the wire a client never receives the value again, \
         but the Rust variant `Status::Pending` is gone and code naming it breaks",
    ),
    (
        "tighten-pattern",
        "openapi-diff",
        "openapi-diff 0.24 does not compare parameters at all; `CardId::new` now refuses ids with `-`",
    ),
    (
        "make-parameter-required",
        "openapi-diff",
        "openapi-diff 0.24 does not compare parameters at all; the client method takes one more argument",
    ),
    (
        "rename-schema",
        "openapi-diff",
        "the JSON is unchanged (openapi-diff resolves `$ref`s); the Rust type `OperationRequest` is now `SuspendRequest`",
    ),
    (
        "add-error-response",
        "semver-checks server",
        "`SuspendResponse` only gains a variant, and it is `#[non_exhaustive]`, so no code breaks, which \
         semver-checks rightly accepts; the break is in behaviour: the spec now asks the server to produce the status",
    ),
    (
        "add-required-property",
        "semver-checks client",
        "a new required member is one more argument of `OperationRequest::new` (the first one replaces `Default` \
         with `new`), so client users' code that builds the request breaks; cargo-semver-checks 0.51 reports \
         nothing for this pair",
    ),
    (
        "change-type",
        "semver-checks client",
        "cargo-semver-checks 0.51 has no lint for a changed field type: `start_time` went from `Option<String>` to \
         `Option<i64>`",
    ),
    (
        "change-type",
        "semver-checks server",
        "cargo-semver-checks 0.51 has no lint for a changed field type: `start_time` went from `Option<String>` to \
         `Option<i64>`",
    ),
    (
        "make-parameter-required",
        "semver-checks server",
        "cargo-semver-checks 0.51 has no lint for a changed field type: `SuspendRequest::correlation_id` went from \
         `Option<CorrelationId>` to `CorrelationId`",
    ),
    (
        "tighten-max-length",
        "semver-checks client",
        "no signature changes, so nothing for semver-checks to see: `Reason::new` now refuses values of 33 to 64 \
         characters at run time",
    ),
    (
        "tighten-pattern",
        "semver-checks client",
        "no signature changes, so nothing for semver-checks to see: `CardId::new` now refuses ids with `-` at run time",
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("d1-codegen/ has a parent").to_path_buf()
}

fn pairs() -> PathBuf {
    repo_root().join("d1-codegen/tests/diff-pairs")
}

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(pairs())
        .expect("d1-codegen/tests/diff-pairs")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

/// Our verdict for (client users, server implementers): breaking when any change breaks that side.
fn ours(case: &str) -> (bool, bool) {
    let ir = |side: &str| d1_codegen::Config::new().specs_dir(pairs().join(case).join(side)).ir().expect("spec pair");
    let ((old, options), (new, _)) = (ir("old"), ir("new"));
    let report = diff::compare(&old, &new, &options);
    let side = |f: fn(&diff::Change) -> Verdict| report.changes.iter().any(|c| f(c) == Verdict::Breaking);
    (side(|c| c.client), side(|c| c.server))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    Breaking,
    NonBreaking,
    NoChange,
}

/// openapi-diff's verdict: its first line says which, its exit status confirms it.
fn openapi_diff(case: &str) -> Wire {
    let tool = repo_root().join("tests/npm/node_modules/.bin/openapi-diff");
    assert!(tool.exists(), "openapi-diff is not installed: run `npm ci --prefix tests/npm` from the repository root");
    let spec = |side: &str| pairs().join(case).join(side).join("D1-Public-IN-v1-Card.json");
    let output = Command::new(&tool).arg(spec("old")).arg(spec("new")).output().expect("run openapi-diff");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    let verdict = if first.starts_with("Breaking changes found") {
        Wire::Breaking
    } else if first.starts_with("Non breaking changes found") {
        Wire::NonBreaking
    } else if first.starts_with("No changes found") {
        Wire::NoChange
    } else {
        panic!("{case}: unexpected openapi-diff output:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    };
    assert_eq!(output.status.success(), verdict != Wire::Breaking, "{case}: openapi-diff exit status vs output");
    verdict
}

fn semver_checks_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_SEMVER_CHECKS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let path = home.join("bin/cargo-semver-checks");
    assert!(
        path.exists(),
        "cargo-semver-checks is not installed: run `cargo xtask test`, which installs the pinned version \
         (or set CARGO_SEMVER_CHECKS to its executable)"
    );
    path
}

/// Generate the crates of one side of a case as a workspace under `out`.
fn generate(case: &str, side: &str, out: &Path) {
    let root = repo_root();
    // The manifests name `d1-runtime` relative to each crate's folder.
    let up = "../".repeat(out.components().count() - 1);
    let runtime = format!("{up}{}", root.join("d1-runtime").display().to_string().trim_start_matches('/'));
    d1_codegen::Config::new()
        .specs_dir(pairs().join(case).join(side))
        .display_root(pairs().join(case).join(side))
        .out_dir(out)
        .runtime_path(runtime)
        .generate()
        .unwrap_or_else(|e| panic!("{case}/{side}: {e}"));
    std::fs::write(
        out.join("Cargo.toml"),
        "[workspace]\nmembers = [\"d1-types\", \"d1-client\", \"d1-server\"]\nresolver = \"2\"\n",
    )
    .expect("workspace manifest");
    // The same dependency versions as the repository.
    std::fs::copy(root.join("Cargo.lock"), out.join("Cargo.lock")).expect("lock file");
}

/// cargo-semver-checks on the crates generated from both sides: (client users, server
/// implementers) broken, from the crates that need a new major version.
fn semver_checks(case: &str) -> ((bool, bool), String) {
    let work = repo_root().join("target/diff-oracles").join(case);
    let _ = std::fs::remove_dir_all(&work);
    let (old, new) = (work.join("old"), work.join("new"));
    generate(case, "old", &old);
    generate(case, "new", &new);
    let output = Command::new(semver_checks_executable())
        // Named one by one: `--workspace` skips crates marked `publish = false`.
        .args(["semver-checks", "check-release", "-p", "d1-types", "-p", "d1-client", "-p", "d1-server"])
        .arg("--manifest-path")
        .arg(new.join("Cargo.toml"))
        .arg("--baseline-root")
        .arg(&old)
        .env("CARGO_TARGET_DIR", repo_root().join("target/diff-oracles/target"))
        .output()
        .expect("run cargo-semver-checks");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let mut major = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Checking ") {
            current = rest.split_whitespace().next().unwrap_or_default().to_string();
        } else if line.starts_with("Summary") && line.contains("new major version") {
            major.push(current.clone());
        }
    }
    assert!(
        text.contains("Checking d1-types") && text.contains("Checking d1-server"),
        "{case}: cargo-semver-checks did not check the generated crates:\n{text}"
    );
    assert_eq!(output.status.success(), major.is_empty(), "{case}: cargo-semver-checks exit status vs output:\n{text}");
    let broke = |name: &str| major.iter().any(|m| m == name);
    ((broke("d1-types") || broke("d1-client"), broke("d1-types") || broke("d1-server")), major.join(" "))
}

#[test]
fn diff_agrees_with_openapi_diff_and_cargo_semver_checks() {
    let word = |b: bool| if b { "breaking" } else { "compatible" };
    let mut table = String::from(
        "| case | ours: client | ours: server | openapi-diff | semver-checks: client | semver-checks: server | major crates |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut found = Vec::new();
    let mut agree = [0usize; 3];
    let cases = cases();
    for case in &cases {
        let (client, server) = ours(case);
        let wire = openapi_diff(case);
        let ((semver_client, semver_server), major) = semver_checks(case);
        let _ = writeln!(
            table,
            "| {case} | {} | {} | {wire:?} | {} | {} | {major} |",
            word(client),
            word(server),
            word(semver_client),
            word(semver_server)
        );
        for (i, (oracle, same)) in [
            ("openapi-diff", (wire == Wire::Breaking) == client),
            ("semver-checks client", semver_client == client),
            ("semver-checks server", semver_server == server),
        ]
        .into_iter()
        .enumerate()
        {
            if same {
                agree[i] += 1;
            } else {
                found.push((case.clone(), oracle));
            }
        }
    }
    let _ = writeln!(
        table,
        "\nagreement over {} cases: openapi-diff {}, semver-checks (client) {}, semver-checks (server) {}",
        cases.len(),
        agree[0],
        agree[1],
        agree[2]
    );
    println!("{table}");
    let mut problems = Vec::new();
    for (case, oracle) in &found {
        if !DISAGREEMENTS.iter().any(|(c, o, _)| c == case && o == oracle) {
            problems.push(format!("{case}: disagrees with {oracle}, and DISAGREEMENTS gives no reason"));
        }
    }
    for (case, oracle, _) in DISAGREEMENTS {
        if !found.iter().any(|(c, o)| c == case && o == oracle) {
            problems.push(format!("{case}: listed as a disagreement with {oracle}, but they agree now"));
        }
    }
    assert!(problems.is_empty(), "{}\n\n{table}", problems.join("\n"));
}
