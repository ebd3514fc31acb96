//! Developer commands. `cargo xtask codegen [--check] [--specs DIR] [--out DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask codegen [--check] [--specs DIR] [--out DIR]

  codegen          regenerate d1-generated/ from specs/ (or --specs DIR into --out DIR)
  codegen --check  change nothing; fail with a summary of what differs if the output is stale";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => codegen(&args[1..]),
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

/// The repository root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
