//! The front door: a builder that reads specs from disk, runs the pipeline and writes (or
//! checks) the result. Used by `cargo xtask codegen` and by build scripts alike.

use crate::emit::{self, Options};
use crate::error::{Error, Warning};
use crate::ir::Stats;
use crate::load::SourceFile;
use crate::write::{self, Diff};
use std::fs;
use std::path::{Path, PathBuf};

/// What to read and where to put it.
///
/// ```no_run
/// // In a build script:
/// d1_codegen::Config::new()
///     .spec("specs/D1-Public-IN-v1-Digital-Card.json")
///     .build_script()
///     .expect("D1 bindings");
/// // and in the crate: `mod d1 { include!(concat!(env!("OUT_DIR"), "/d1_types.rs")); }`
/// ```
#[derive(Clone, Debug, Default)]
pub struct Config {
    specs: Vec<PathBuf>,
    spec_dirs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    display_root: Option<PathBuf>,
    options: Options,
}

/// What a run did, for the summary line and for tests.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub stats: Stats,
    /// Every file read (specs and overlays), for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
    pub warnings: Vec<Warning>,
    /// Files in the generated tree and their total line count.
    pub files: usize,
    pub lines: usize,
    /// Against what was on disk before the run (for `check`: what would change).
    pub diff: Diff,
}

impl Config {
    pub fn new() -> Self {
        Config::default()
    }

    /// Add one spec or overlay file.
    pub fn spec(mut self, path: impl Into<PathBuf>) -> Self {
        self.specs.push(path.into());
        self
    }

    /// Add every `.json`, `.yaml` and `.yml` file under `dir` (recursively: overlays included).
    pub fn specs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spec_dirs.push(dir.into());
        self
    }

    /// Where `generate`/`check` put the generated crates.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Paths in `@generated` headers are shown relative to this folder (default: the current
    /// folder), so the output does not depend on where the repository is checked out.
    pub fn display_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.display_root = Some(dir.into());
        self
    }

    /// Name of the generated types crate (default `d1-types`).
    pub fn types_crate(mut self, name: impl Into<String>) -> Self {
        self.options.types_crate = name.into();
        self
    }

    /// Name of the generated client crate (default `d1-client`).
    pub fn client_crate(mut self, name: impl Into<String>) -> Self {
        self.options.client_crate = name.into();
        self
    }

    /// Name of the generated server crate (default `d1-server`).
    pub fn server_crate(mut self, name: impl Into<String>) -> Self {
        self.options.server_crate = name.into();
        self
    }

    /// Allow patterns that only a backtracking regex engine can evaluate (lookarounds,
    /// backreferences, `\b`, `\p{…}`, or an automaton too large to emit). Off by default:
    /// such a pattern is then an error naming its file and JSON pointer, because the
    /// generated validator could take time exponential in its input. When allowed, the
    /// generated crate calls `regress` for those patterns.
    pub fn allow_backtracking_patterns(mut self, allow: bool) -> Self {
        self.options.allow_backtracking_patterns = allow;
        self
    }

    /// Generate and write the crates under `out_dir`, replacing the previous generation at once.
    pub fn generate(&self) -> Result<Summary, Error> {
        let out = self.require_out()?;
        let (tree, mut summary) = self.run()?;
        summary.diff = write::write_atomically(&tree, out)
            .map_err(|e| Error::file(&out.display().to_string(), format!("cannot write the generated tree: {e}")))?;
        Ok(summary)
    }

    /// Generate in memory and compare with `out_dir`; nothing is written. The summary's `diff`
    /// says what is stale.
    pub fn check(&self) -> Result<Summary, Error> {
        let out = self.require_out()?;
        let (tree, mut summary) = self.run()?;
        summary.diff = write::compare(&tree, out)
            .map_err(|e| Error::file(&out.display().to_string(), format!("cannot read the generated tree: {e}")))?;
        Ok(summary)
    }

    /// For `build.rs`: write all types as one file, `$OUT_DIR/<types crate, snake_case>.rs`, to be
    /// `include!`d, and print `cargo:rerun-if-changed` for every input.
    pub fn build_script(&self) -> Result<Summary, Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                Error::file("OUT_DIR", "not set: call build_script() from a build script, or set out_dir")
            })?),
        };
        let files = self.read_inputs()?;
        let specs = crate::load::load(&files)?;
        let ir = crate::naming::finalize(crate::lower::lower_with(&specs, self.options.allow_backtracking_patterns)?);
        let text = emit::types_single_file(&ir)?;
        let path = out_dir.join(format!("{}.rs", self.options.types_crate.replace('-', "_")));
        let unchanged = fs::read_to_string(&path).map(|t| t == text).unwrap_or(false);
        if !unchanged {
            fs::write(&path, &text)
                .map_err(|e| Error::file(&path.display().to_string(), format!("cannot write: {e}")))?;
        }
        let inputs = self.input_paths()?;
        for input in &inputs {
            println!("cargo:rerun-if-changed={}", input.display());
        }
        for dir in &self.spec_dirs {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        Ok(Summary {
            stats: ir.stats(),
            inputs,
            warnings: ir.warnings,
            files: 1,
            lines: text.lines().count(),
            diff: Diff::default(),
        })
    }

    fn require_out(&self) -> Result<&Path, Error> {
        self.out_dir.as_deref().ok_or_else(|| Error::file("<config>", "no output folder: call out_dir(...)"))
    }

    fn run(&self) -> Result<(write::FileTree, Summary), Error> {
        let files = self.read_inputs()?;
        let (tree, ir) = crate::generate(&files, &self.options)?;
        let summary = Summary {
            stats: ir.stats(),
            inputs: self.input_paths()?,
            warnings: ir.warnings,
            files: tree.len(),
            lines: tree.lines(),
            diff: Diff::default(),
        };
        Ok((tree, summary))
    }

    fn input_paths(&self) -> Result<Vec<PathBuf>, Error> {
        let mut paths = self.specs.clone();
        for dir in &self.spec_dirs {
            collect(dir, &mut paths)
                .map_err(|e| Error::file(&dir.display().to_string(), format!("cannot list the folder: {e}")))?;
        }
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            return Err(Error::file("<config>", "no spec files given (spec(...) or specs_dir(...))"));
        }
        Ok(paths)
    }

    fn read_inputs(&self) -> Result<Vec<SourceFile>, Error> {
        let root = match &self.display_root {
            Some(r) => r.clone(),
            None => std::env::current_dir().unwrap_or_default(),
        };
        self.input_paths()?
            .into_iter()
            .map(|path| {
                let shown = display_path(&path, &root);
                let text = fs::read_to_string(&path).map_err(|e| Error::file(&shown, format!("cannot read: {e}")))?;
                Ok(SourceFile { path: shown, text })
            })
            .collect()
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yaml" | "yml")) {
            out.push(path);
        }
    }
    Ok(())
}

fn display_path(path: &Path, root: &Path) -> String {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let shown = absolute.strip_prefix(root).map(Path::to_path_buf).unwrap_or(absolute);
    crate::load::normalize(&shown.to_string_lossy())
}

impl Summary {
    /// The one-screen report `cargo xtask codegen` prints.
    pub fn render(&self, verb: &str) -> String {
        let s = &self.stats;
        let d = &self.diff;
        let mut out = format!(
            "{verb}: {} specs ({} inputs), {} operations, {} types ({} validated newtypes), {} sealed JWE fields\n\
             files: {} generated, {} lines — {} written, {} unchanged, {} removed\n",
            s.specs,
            self.inputs.len(),
            s.operations,
            s.types,
            s.newtypes,
            s.sealed,
            self.files,
            self.lines,
            d.added.len() + d.changed.len(),
            d.unchanged,
            d.removed.len(),
        );
        if !self.warnings.is_empty() {
            out.push_str(&format!("warnings ({}):\n", self.warnings.len()));
            for w in &self.warnings {
                out.push_str(&format!("  warning: {w}\n"));
            }
        }
        out
    }
}
