//! Developer commands: `cargo xtask codegen [--check] [--specs DIR] [--out DIR]`, `cargo xtask corpus`,
//! `cargo xtask scaling`, `cargo xtask diff`, `cargo xtask specs`, `cargo xtask test`.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod corpus;
mod diff;
mod scaling;
mod specs;
mod toolchain;

const USAGE: &str = "usage: cargo xtask <command>

  codegen [--specs DIR] [--out DIR]  regenerate d1-generated/ from specs/ (or DIR into DIR)
  codegen --check                    change nothing; fail with a summary if the output is stale
                                     (or if specs/ no longer matches specs/sources.toml)
  codegen --spec FILE --out DIR      generate from one spec file (instead of a folder)
  specs pull [NAME…]                 download new versions of the specs listed in specs/sources.toml
  specs record [NAME…]               record the checksums of intentionally edited files in specs/
  corpus [--sample N | --all] [--check N] [--clippy] [--validate] [--slice] [--progenitor BIN] [--with FILE]...
                                     run the generator on the public OpenAPI corpus, one spec per
                                     process, and write docs/corpus.md (see xtask/src/corpus.rs)
  scaling [--spec FILE]... [--runs N] [--progenitor BIN]
                                     cut specs into nested parts from 0.1 MB up and time each, to
                                     show cost against size; writes docs/scaling.md (xtask/src/scaling.rs)
  test                               install the external test tools, then run every check and test
  example-outside                    build and test the build-script example as a crate outside the workspace";

/// mimalloc gives freed memory back to the system 10 ms after the last free in it. The generator
/// frees and allocates in waves (the parsed JSON, then the typed document, then each module's
/// text), so on a large spec much of it was given back only to be faulted in again: reading
/// Microsoft Graph (20 MB) took 1.25 s of CPU, 0.57 s with freed memory kept a second longer,
/// which bridges the waves; the peak resident size stays the same.
fn keep_freed_memory_longer() {
    /// `mi_option_purge_delay` in `mi_option_t` (the same in mimalloc 2 and 3).
    const PURGE_DELAY: std::ffi::c_int = 15;
    unsafe extern "C" {
        // From the mimalloc library the allocator crate links (public API, `mimalloc.h`).
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // Called first in `main`, before any other thread exists (the option table is not locked).
    unsafe { mi_option_set(PURGE_DELAY, 1000) }
}

fn main() -> ExitCode {
    keep_freed_memory_longer();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => codegen(&args[1..]),
        Some("diff") => diff::main(&args[1..], &workspace_root()),
        Some("specs") => specs::main(&workspace_root().join("specs"), &args[1..]),
        Some("corpus") => corpus::main(&args[1..]),
        Some("scaling") => scaling::main(&args[1..]),
        Some("test") => test(),
        Some("example-outside") => {
            if example_outside_workspace(&workspace_root()) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("{USAGE}\n{}", diff::USAGE);
            ExitCode::from(2)
        }
    }
}

fn codegen(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut check = false;
    let mut specs = root.join("specs");
    let mut spec = None;
    let mut out = root.join("d1-generated");
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--check" => check = true,
            "--specs" | "--spec" | "--out" if i + 1 < args.len() => {
                let value = PathBuf::from(&args[i + 1]);
                match args[i].as_str() {
                    "--specs" => specs = value,
                    "--spec" => spec = Some(value),
                    _ => out = value,
                }
                i += 1;
            }
            other => {
                eprintln!("unknown or incomplete argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let config = d1_codegen::Config::new().out_dir(&out).display_root(&root);
    let mut config = match spec {
        Some(file) => config.spec(file),
        None => config.specs_dir(&specs),
    };
    if out == root.join("d1-generated") {
        config = config.runtime_path("../d1-runtime");
    }
    // The checksums recorded in specs/sources.toml: reported first, and failing the check too.
    let sources = if check && specs == root.join("specs") { specs::check(&specs) } else { Ok(()) };
    if let Err(e) = &sources {
        eprintln!("error: {e}\n");
    }
    let started = Instant::now();
    let result = if check { config.check() } else { config.generate() };
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!("nothing was written.");
            return ExitCode::FAILURE;
        }
    };
    let verb = if check { "checked" } else { "generated" };
    print!("{}", summary.render(verb));
    println!("took {} ms", started.elapsed().as_millis());
    if check && !summary.diff.is_empty() {
        eprintln!("\n{} is stale:\n{}", out.display(), summary.diff.render());
        eprintln!("run `cargo xtask codegen` and commit the result.");
        return ExitCode::FAILURE;
    }
    if sources.is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The pinned cargo-semver-checks (an oracle of `cargo xtask diff`).
const CARGO_SEMVER_CHECKS: &str = "0.51.0";

/// One step of `cargo xtask test`.
struct Step {
    name: &'static str,
    program: String,
    args: Vec<String>,
    /// Fail the step when a line of its output starts with this (for tools whose exit code
    /// ignores warnings).
    fail_on_line: Option<&'static str>,
}

impl Step {
    fn new(name: &'static str, program: &str, args: &[&str]) -> Self {
        Step {
            name,
            program: program.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            fail_on_line: None,
        }
    }
}

/// Every check, in the order CI runs them; stops at the first failure and prints a summary.
fn test() -> ExitCode {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let specs = match spec_files(&root.join("specs")) {
        Ok(specs) => specs,
        Err(e) => {
            eprintln!("cannot list specs/: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut validator = Step::new("specs: openapi-spec-validator", "python3", &["-m", "openapi_spec_validator"]);
    validator.args.extend(specs.iter().cloned());
    let mut redocly = Step::new(
        "specs: redocly lint (tests/redocly.yaml)",
        "tests/npm/node_modules/.bin/redocly",
        &["lint", "--config", "tests/redocly.yaml", "--format", "summary"],
    );
    // `common.json` (the shared types) has, by design, no paths or servers and only components
    // nothing in it uses, which redocly's `recommended` rules flag; openapi-spec-validator checks it.
    redocly.args.extend(specs.iter().filter(|s| !s.ends_with("/common.json")).cloned());
    redocly.fail_on_line = Some("warning");
    let steps = [
        Step::new(
            "install Python test tools",
            "python3",
            &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "tests/requirements.txt"],
        ),
        Step::new(
            "install npm test tools",
            "npm",
            &["ci", "--prefix", "tests/npm", "--no-audit", "--no-fund", "--loglevel=error"],
        ),
        // The Rust-level oracle of d1-codegen/tests/diff_oracles.rs. `cargo install` does nothing
        // when this version is already in ~/.cargo/bin; a first install takes minutes.
        Step::new(
            "install cargo-semver-checks",
            &cargo,
            &["install", "--locked", "--quiet", "cargo-semver-checks", "--version", CARGO_SEMVER_CHECKS],
        ),
        validator,
        redocly,
        Step::new("generated code is fresh", &cargo, &["xtask", "codegen", "--check"]),
        Step::new("corpus slice (xtask/corpus-slice/)", &cargo, &["xtask", "corpus", "--slice"]),
        Step::new("formatting", &cargo, &["fmt", "--all", "--check"]),
        Step::new(
            "clippy (all targets, -D warnings)",
            &cargo,
            &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"],
        ),
        Step::new("rustdoc (-D warnings)", &cargo, &["doc", "--workspace", "--no-deps", "--quiet"]),
        Step::new("tests", &cargo, &["test", "--workspace"]),
        Step::new("build-script example, outside the workspace", &cargo, &["xtask", "example-outside"]),
        Step::new("schemathesis against the sandbox", "bash", &["d1-sandbox/scripts/schemathesis.sh"]),
    ];
    let mut report = Vec::new();
    let started_all = Instant::now();
    match toolchain::check(&root) {
        Ok(summary) => {
            println!("== toolchain: {summary}");
            report.push("  ok   toolchain is the declared rust-version".to_string());
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    for step in &steps {
        println!("\n== {}: {} {}", step.name, step.program, step.args.join(" "));
        let started = Instant::now();
        let ok = run(step, &root);
        let seconds = started.elapsed().as_secs_f64();
        report.push(format!("  {} {} ({seconds:.0} s)", if ok { "ok  " } else { "FAIL" }, step.name));
        if !ok {
            println!("\n{}", report.join("\n"));
            return ExitCode::FAILURE;
        }
    }
    println!("\nall checks passed in {:.0} s:\n{}", started_all.elapsed().as_secs_f64(), report.join("\n"));
    ExitCode::SUCCESS
}

/// Run one step from the repository root; true when it passed.
fn run(step: &Step, root: &Path) -> bool {
    let mut command = std::process::Command::new(&step.program);
    command.args(&step.args).current_dir(root).env("RUSTDOCFLAGS", "-D warnings");
    let Some(marker) = step.fail_on_line else {
        return match command.status() {
            Ok(status) => status.success(),
            Err(e) => {
                eprintln!("cannot run `{}`: {e}", step.program);
                false
            }
        };
    };
    match command.output() {
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            print!("{stdout}");
            eprint!("{stderr}");
            let flagged = stdout.lines().chain(stderr.lines()).any(|line| line.trim_start().starts_with(marker));
            if flagged {
                eprintln!("`{}` reported a {marker}: every finding fails this step", step.name);
            }
            output.status.success() && !flagged
        }
        Err(e) => {
            eprintln!("cannot run `{}`: {e}", step.program);
            false
        }
    }
}

/// The OpenAPI documents in `dir` (JSON files), sorted, as paths relative to the root.
fn spec_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            files.push(format!("specs/{name}"));
        }
    }
    files.sort();
    Ok(files)
}

/// The repository root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Copy the build-script example out of the workspace, with exactly the dependencies its
/// README lists (local paths instead of versions), and run its tests: what a user who
/// follows the README gets on a first build.
fn example_outside_workspace(root: &Path) -> bool {
    match try_example_outside(root) {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("example outside the workspace: {e}");
            false
        }
    }
}

fn try_example_outside(root: &Path) -> std::io::Result<bool> {
    let example = root.join("d1-codegen/examples/build-script");
    let readme = std::fs::read_to_string(example.join("README.md"))?;
    let Some(deps) = readme.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()) else {
        return Err(std::io::Error::other("README.md has no ```toml block of dependencies"));
    };
    let path = |p: &str| root.join(p).display().to_string().replace('\\', "/");
    let deps = deps
        .replace(r#"d1-runtime = { version = "0.1","#, &format!(r#"d1-runtime = {{ path = "{}","#, path("d1-runtime")))
        .replace(r#"d1-codegen = "0.1""#, &format!(r#"d1-codegen = {{ path = "{}" }}"#, path("d1-codegen")));
    let dir = std::env::temp_dir().join(format!("d1-example-outside-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src"))?;
    let manifest = format!(
        "[package]\nname = \"d1-example-outside\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n{deps}"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    let build =
        std::fs::read_to_string(example.join("build.rs"))?.replace("../../../specs/", &format!("{}/", path("specs")));
    std::fs::write(dir.join("build.rs"), build)?;
    std::fs::copy(example.join("src/lib.rs"), dir.join("src/lib.rs"))?;
    // The workspace's lock file pins the same versions (cargo drops what this crate does not use).
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = std::process::Command::new(cargo)
        .args(["test", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/example-outside"))
        .status()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(status.success())
}
