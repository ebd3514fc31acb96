//! The declared `rust-version` is the toolchain CI runs. Only one toolchain is available to CI, so
//! the version we declare is the one we build and test with; this check keeps the declaration,
//! the generated crates' declaration and the running `rustc` in step.

use std::path::Path;
use std::process::Command;

/// `Ok` with a one-line summary when the workspace's `rust-version`, the generator's
/// [`d1_codegen::emit::RUST_VERSION`] and the running `rustc` (major.minor) agree.
pub fn check(root: &Path) -> Result<String, String> {
    let manifest_path = root.join("Cargo.toml");
    let manifest =
        std::fs::read_to_string(&manifest_path).map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&manifest).map_err(|e| format!("cannot parse {}: {e}", manifest_path.display()))?;
    let declared = manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("rust-version"))
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("{} declares no `workspace.package.rust-version`", manifest_path.display()))?;
    let generated = d1_codegen::emit::RUST_VERSION;
    if declared != generated {
        return Err(format!(
            "the workspace declares rust-version {declared} but the generator gives generated crates {generated} \
             (d1-codegen/src/emit/mod.rs): make them the same"
        ));
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output =
        Command::new(&rustc).arg("--version").output().map_err(|e| format!("cannot run `{rustc} --version`: {e}"))?;
    let version_line = String::from_utf8_lossy(&output.stdout).into_owned();
    let running = version_line.split_whitespace().nth(1).unwrap_or_default();
    let major_minor: Vec<&str> = running.split('.').take(2).collect();
    if major_minor.join(".") != declared {
        return Err(format!(
            "rust-version {declared} is declared (Cargo.toml, d1_codegen::emit::RUST_VERSION) but this is {}: \
             run the checks with that toolchain (`rustup run {declared} cargo xtask test`), or change the \
             declaration in both places",
            version_line.trim()
        ));
    }
    Ok(format!("{} is the declared rust-version {declared}", version_line.trim()))
}
