//! Developer commands. `cargo xtask codegen [--check] [--specs DIR] [--out DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <command>

  codegen [--specs DIR] [--out DIR]  regenerate d1-generated/ from specs/ (or DIR into DIR)
  codegen --check                    change nothing; fail with a summary if the output is stale
  test                               install the external test tools, then run every check and test";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => codegen(&args[1..]),
        Some("test") => test(),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn codegen(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut check = false;
    let mut specs = root.join("specs");
    let mut out = root.join("d1-generated");
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--check" => check = true,
            "--specs" | "--out" if i + 1 < args.len() => {
                let value = PathBuf::from(&args[i + 1]);
                if args[i] == "--specs" {
                    specs = value;
                } else {
                    out = value;
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
    let config = d1_codegen::Config::new().specs_dir(&specs).out_dir(&out).display_root(&root);
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
    ExitCode::SUCCESS
}

/// Every check, in the order CI runs them; stops at the first failure and prints a summary.
fn test() -> ExitCode {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let steps: &[(&str, &str, &[&str])] = &[
        (
            "install Python test tools",
            "python3",
            &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "tests/requirements.txt"],
        ),
        ("generated code is fresh", &cargo, &["xtask", "codegen", "--check"]),
        ("formatting", &cargo, &["fmt", "--all", "--check"]),
        (
            "clippy (all targets, -D warnings)",
            &cargo,
            &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"],
        ),
        ("rustdoc (-D warnings)", &cargo, &["doc", "--workspace", "--no-deps", "--quiet"]),
        ("tests", &cargo, &["test", "--workspace"]),
    ];
    let mut report = Vec::new();
    for (name, program, args) in steps {
        println!("\n== {name}: {program} {}", args.join(" "));
        let started = Instant::now();
        let status = std::process::Command::new(program)
            .args(*args)
            .current_dir(&root)
            .env("RUSTDOCFLAGS", "-D warnings")
            .status();
        let seconds = started.elapsed().as_secs_f64();
        let ok = matches!(&status, Ok(s) if s.success());
        report.push(format!("  {} {name} ({seconds:.0} s)", if ok { "ok  " } else { "FAIL" }));
        if !ok {
            if let Err(e) = status {
                eprintln!("cannot run `{program}`: {e}");
            }
            println!("\n{}", report.join("\n"));
            return ExitCode::FAILURE;
        }
    }
    println!("\nall checks passed:\n{}", report.join("\n"));
    ExitCode::SUCCESS
}

/// The repository root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
