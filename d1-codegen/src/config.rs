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
/// // In a build script (overlays in `specs/overlays/` are found without being named):
/// d1_codegen::Config::new()
///     .spec("specs/D1-Public-IN-v1-Digital-Card.json")
///     .build_script()
///     .expect("D1 bindings");
/// // and at the root of the crate (modules `types`, `client` and `server`):
/// // include!(concat!(env!("OUT_DIR"), "/d1.rs"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Config {
    specs: Vec<PathBuf>,
    spec_dirs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    display_root: Option<PathBuf>,
    options: Options,
    without_client: bool,
    without_server: bool,
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
    /// Whether the run wrote (`generate`) or only compared (`check`); the summary says
    /// "written" or "would be written" accordingly.
    pub wrote: bool,
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

    /// The generated manifests name `d1-runtime` by path: `dir` is the runtime's folder,
    /// relative to the output folder (e.g. `../d1-runtime`). Without it they name it by version
    /// (`d1-runtime = "0.1"`), from the registry or a `[patch]` of the workspace.
    pub fn runtime_path(mut self, dir: impl Into<String>) -> Self {
        let dir = dir.into().replace('\\', "/");
        self.options.runtime = crate::emit::RuntimeSource::Path {
            path: format!("../{}", dir.trim_end_matches('/')),
            version: crate::emit::RuntimeSource::VERSION.to_string(),
        };
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

    /// File-name prefixes dropped before a spec's module name is made from its file name
    /// (default: D1's `D1-Public-`, so `D1-Public-IN-v1-Card.json` is `in_v1_card`). A module
    /// name depends on its own file only: adding a spec renames nothing else.
    pub fn module_prefixes<S: Into<String>>(mut self, prefixes: impl IntoIterator<Item = S>) -> Self {
        self.options.module_prefixes = prefixes.into_iter().map(Into::into).collect();
        self
    }

    /// Allow patterns that only a backtracking regex engine can evaluate (a backreference to a
    /// group of more than 256 strings, an inline flag group, an automaton past even the NFA's
    /// size cap). Off by default:
    /// such a pattern is then an error naming its file and JSON pointer, because the
    /// generated validator could take time exponential in its input. When allowed, the
    /// generated crate calls `regress` for those patterns.
    pub fn allow_backtracking_patterns(mut self, allow: bool) -> Self {
        self.options.allow_backtracking_patterns = allow;
        self
    }

    /// Whether [`build_script`](Self::build_script) emits the client module (default: yes).
    pub fn build_client(mut self, yes: bool) -> Self {
        self.without_client = !yes;
        self
    }

    /// Whether [`build_script`](Self::build_script) emits the server module (default: yes).
    pub fn build_server(mut self, yes: bool) -> Self {
        self.without_server = !yes;
        self
    }

    /// Generate and write the crates under `out_dir`: new and changed files replaced one by one
    /// (temporary file + rename), files of the previous run that are no longer produced removed,
    /// nothing the generator did not write touched (see [`crate::write`]).
    pub fn generate(&self) -> Result<Summary, Error> {
        let out = self.require_out()?;
        let (tree, mut summary) = self.run()?;
        summary.diff = write::write_atomically(&tree, out)
            .map_err(|e| Error::file(&out.display().to_string(), format!("cannot write the generated tree: {e}")))?;
        summary.wrote = true;
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

    /// For `build.rs`: write the types, the client and the server (see
    /// [`build_client`](Self::build_client), [`build_server`](Self::build_server)) as modules
    /// `types`, `client` and `server` of one file, `$OUT_DIR/d1.rs`, to be `include!`d at the
    /// root of the crate; print `cargo:rerun-if-changed` for every input. The crate depends on
    /// `d1-runtime` (features `client`, `server`, and `jwe` when a spec has sealed fields),
    /// `serde` (with `derive`) and `serde_json`.
    pub fn build_script(&self) -> Result<Summary, Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                Error::file("OUT_DIR", "not set: call build_script() from a build script, or set out_dir")
            })?),
        };
        let (inputs, mut warnings) = self.listing()?;
        for input in &inputs {
            println!("cargo:rerun-if-changed={}", input.display());
        }
        for dir in &self.spec_dirs {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        let ir = self.named_ir(&inputs)?;
        warnings.extend(ir.warnings.iter().cloned());
        let mut parts = vec![emit::Part::Types];
        if !self.without_client {
            parts.push(emit::Part::Client);
        }
        if !self.without_server {
            parts.push(emit::Part::Server);
        }
        let text = emit::modules_file(&ir, &self.options, &parts)?;
        let path = out_dir.join("d1.rs");
        let unchanged = fs::read_to_string(&path).map(|t| t == text).unwrap_or(false);
        if !unchanged {
            fs::write(&path, &text)
                .map_err(|e| Error::file(&path.display().to_string(), format!("cannot write: {e}")))?;
        }
        Ok(Summary {
            stats: ir.stats(),
            inputs,
            warnings,
            files: 1,
            lines: text.lines().count(),
            diff: Diff::default(),
            wrote: true,
        })
    }

    /// Read the specs and run load → lower → naming → describe, without emitting: the IR that
    /// [`crate::diff`] compares. The options (crate names) come with it.
    pub fn ir(&self) -> Result<(crate::ir::Ir, Options), Error> {
        let (inputs, _) = self.listing()?;
        Ok((self.named_ir(&inputs)?, self.options.clone()))
    }

    /// load → lower → naming → describe on the files at `paths`.
    fn named_ir(&self, paths: &[PathBuf]) -> Result<crate::ir::Ir, Error> {
        crate::ir_of(&crate::load::load(&self.read_inputs(paths)?)?, &self.options)
    }

    fn require_out(&self) -> Result<&Path, Error> {
        self.out_dir.as_deref().ok_or_else(|| Error::file("<config>", "no output folder: call out_dir(...)"))
    }

    fn run(&self) -> Result<(write::FileTree, Summary), Error> {
        let (inputs, mut warnings) = self.listing()?;
        // The inputs' text and parsed documents are gone before emitting (a large spec's output is
        // several times its size, and both are held at the peak otherwise).
        let ir = self.named_ir(&inputs)?;
        let tree = emit::emit(&ir, &self.options)?;
        warnings.extend(ir.warnings.iter().cloned());
        let summary = Summary {
            stats: ir.stats(),
            inputs,
            warnings,
            files: tree.len(),
            lines: tree.lines(),
            diff: Diff::default(),
            wrote: false,
        };
        Ok((tree, summary))
    }

    /// The input files, and a warning for each symbolic link skipped in a specs folder.
    fn listing(&self) -> Result<(Vec<PathBuf>, Vec<Warning>), Error> {
        let mut paths = self.specs.clone();
        for spec in &self.specs {
            paths.extend(overlays_of(spec));
        }
        let mut links = Vec::new();
        for dir in &self.spec_dirs {
            collect(dir, &mut paths, &mut links)
                .map_err(|e| Error::file(&dir.display().to_string(), format!("cannot list the folder: {e}")))?;
        }
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            return Err(Error::file("<config>", "no spec files given (spec(...) or specs_dir(...))"));
        }
        links.sort();
        let root = self.root();
        let warnings = links
            .into_iter()
            .map(|link| Warning {
                location: crate::error::Location::new(display_path(&link, &root), ""),
                message: "a symbolic link in a specs folder: not followed (name its target with `spec(...)` to use it)"
                    .to_string(),
            })
            .collect();
        Ok((paths, warnings))
    }

    fn root(&self) -> PathBuf {
        match &self.display_root {
            Some(r) => r.clone(),
            None => std::env::current_dir().unwrap_or_default(),
        }
    }

    /// The files at `paths` (from [`listing`](Self::listing)), read once.
    fn read_inputs(&self, paths: &[PathBuf]) -> Result<Vec<SourceFile>, Error> {
        let root = self.root();
        paths
            .iter()
            .map(|path| {
                let shown = display_path(path, &root);
                let text = fs::read_to_string(path).map_err(|e| Error::file(&shown, format!("cannot read: {e}")))?;
                Ok(SourceFile { path: shown, text })
            })
            .collect()
    }
}

/// The overlays that sit next to a spec by convention: `overlays/<stem>.overlay.<ext>` in the
/// spec's folder, or `<stem>.overlay.<ext>` beside it.
fn overlays_of(spec: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (spec.parent(), spec.file_stem().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for folder in [dir.join("overlays"), dir.to_path_buf()] {
        for ext in ["json", "yaml", "yml"] {
            let candidate = folder.join(format!("{stem}.overlay.{ext}"));
            if candidate.is_file() {
                found.push(candidate);
            }
        }
    }
    found
}

/// Spec files under `dir`, recursively. Symbolic links are not followed — neither to files nor
/// to folders (a loop, or a link to `/usr`, would otherwise be walked): each one found is
/// reported in `links` and skipped. A link named explicitly with `spec(...)` is read as given.
fn collect(dir: &Path, out: &mut Vec<PathBuf>, links: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            links.push(path);
        } else if kind.is_dir() {
            collect(&path, out, links)?;
        } else if kind.is_file() && matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yaml" | "yml")) {
            out.push(path);
        }
    }
    Ok(())
}

/// The path as shown in messages and `@generated` headers: relative to `root` when inside it,
/// `.` and `..` resolved, components joined with `/`. Only real separators of this platform
/// become `/` (on Windows `\` and `/`; on Unix only `/`): a `\` that is part of a Unix file name
/// stays a `\`, and the headers show it escaped (`escape::comment`).
fn display_path(path: &Path, root: &Path) -> String {
    use std::path::Component;
    let absolute = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let shown = absolute.strip_prefix(root).map(Path::to_path_buf).unwrap_or(absolute);
    let mut prefix = String::new();
    let mut parts: Vec<String> = Vec::new();
    for component in shown.components() {
        match component {
            Component::Prefix(p) => prefix.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => prefix.push('/'),
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
        }
    }
    format!("{prefix}{}", parts.join("/"))
}

impl Summary {
    /// The one-screen report `cargo xtask codegen` prints.
    pub fn render(&self, verb: &str) -> String {
        let s = &self.stats;
        let d = &self.diff;
        let mut out = format!(
            "{verb}: {} specs ({} inputs), {} operations, {} types ({} validated newtypes), {} sealed JWE fields\n\
             files: {} generated, {} lines — {} {}, {} unchanged, {} {}\n",
            s.specs,
            self.inputs.len(),
            s.operations,
            s.types,
            s.newtypes,
            s.sealed,
            self.files,
            self.lines,
            d.added.len() + d.changed.len(),
            if self.wrote { "written" } else { "would be written" },
            d.unchanged,
            d.removed.len(),
            if self.wrote { "removed" } else { "would be removed" },
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
