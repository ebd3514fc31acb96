//! `cargo xtask specs pull|record`: where each file in `specs/` comes from, and upgrading it.
//!
//! `specs/sources.toml` lists every input file of the generator under `specs/` (specs and
//! overlays): the URL D1 publishes it at (`""` when none is known), its `info.version`, the
//! SHA-256 of the committed bytes, and a note on its source. `pull` downloads, validates and
//! installs new versions; `record` stores the checksum of an intentional edit; [`check`] (run by
//! `cargo xtask codegen --check`) fails when a file no longer matches what is recorded.
//!
//! Downloads go through `curl` (already required by `cargo xtask test`), so the xtask, built in
//! every CI run, compiles no HTTP or TLS stack.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The manifest's file name, inside the specs folder.
pub const MANIFEST: &str = "sources.toml";

const HEADER: &str = "\
# Where each file in specs/ comes from. Read and written by `cargo xtask specs`: see `Upgrading
# the specs` in the top-level README.md.
#   url      where D1 publishes the file; \"\" when no download URL is known (`specs pull` skips it)
#   version  the file's `info.version`
#   sha256   of the file as committed: `cargo xtask codegen --check` fails when the file differs;
#            after an intentional edit, run `cargo xtask specs record NAME` and commit both
#   source   what the file is (published, transcribed, or ours)

";

/// The `source` of an entry once `pull` has installed the published file.
const PULLED: &str = "the published file, as downloaded by `cargo xtask specs pull`";

/// The `source` of an entry that `record` adds for a file the manifest did not list.
const ADDED: &str = "added by `cargo xtask specs record`; no download URL recorded";

const USAGE: &str = "usage: cargo xtask specs <pull|record> [NAME…]

  pull [NAME…]    download the listed specs (all with a URL when none is named), validate them,
                  install the changed ones, update specs/sources.toml and print what changed
  record [NAME…]  record the checksums of the files as they are now (after an intentional edit);
                  without NAME, also add unlisted files and drop entries whose file is gone

NAME is a file's path under specs/, its file name, or its name without extension.";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(rename = "file", default)]
    files: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Path under the specs folder, `/`-separated.
    path: String,
    url: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    source: String,
}

/// How much a download may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub timeout: Duration,
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Generous for an OpenAPI document (the largest file here is 24 KB); the cap only stops
        // a runaway response.
        Limits { timeout: Duration::from_secs(60), max_bytes: 16 << 20 }
    }
}

/// `cargo xtask specs …` on the repository's `specs/` folder.
pub fn main(specs_dir: &Path, args: &[String]) -> ExitCode {
    let result = match args.first().map(String::as_str) {
        Some("pull") => pull(specs_dir, &args[1..], &Limits::default()).map(|_| ()),
        Some("record") => record(specs_dir, &args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a pull did, by path.
#[derive(Debug, Default, PartialEq)]
pub struct Pulled {
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
    pub skipped: Vec<String>,
    /// Overlays that no longer apply to a new version (to fix before `cargo xtask codegen`).
    pub warnings: Vec<String>,
}

/// Download the named entries (every entry with a URL when `names` is empty), validate each,
/// then install the changed files and the updated manifest. Any failure before the install
/// changes nothing; a failed install puts back what it had replaced.
pub fn pull(specs_dir: &Path, names: &[String], limits: &Limits) -> Result<Pulled, String> {
    let manifest_path = specs_dir.join(MANIFEST);
    let mut manifest = read_manifest(&manifest_path)?;
    let selected: Vec<usize> = match names {
        [] => (0..manifest.files.len()).collect(),
        _ => select(&manifest, names)?,
    };
    let mut outcome = Pulled::default();
    // Everything is downloaded and validated before anything is written.
    let downloads = fetch(specs_dir, &manifest, &selected, limits, &mut outcome)?;
    let mut installs = Vec::new();
    for (i, body, version) in downloads {
        let entry = &mut manifest.files[i];
        let path = specs_dir.join(&entry.path);
        let old = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}\nnothing was changed.", path.display())),
        };
        entry.sha256 = sha256_hex(&body);
        entry.version = version;
        if old.as_ref() == Some(&body) {
            println!("unchanged: {}", entry.path);
            outcome.unchanged.push(entry.path.clone());
        } else {
            entry.source = PULLED.to_string();
            outcome.changed.push(entry.path.clone());
            installs.push(Install { relative: entry.path.clone(), path, old, new: body });
        }
    }
    let rendered = render_manifest(&manifest)?;
    let manifest_changed = std::fs::read_to_string(&manifest_path).ok().as_deref() != Some(rendered.as_str());
    if installs.is_empty() {
        if manifest_changed {
            write_atomically(&manifest_path, rendered.as_bytes())?;
        }
        return Ok(outcome);
    }
    let scratch = before_and_after(specs_dir, &manifest, &installs)?;
    install_all(&installs, &manifest_path, &rendered)?;
    for path in &outcome.changed {
        println!("updated: {path}");
    }
    print_change_report(&scratch.dir.join("old"), &scratch.dir.join("new"));
    println!("\nnext: review the changes, run `cargo xtask codegen`, and commit specs/ with d1-generated/.");
    Ok(outcome)
}

/// Download and validate the selected entries that have a URL: `(entry index, body, version)`.
fn fetch(
    specs_dir: &Path,
    manifest: &Manifest,
    selected: &[usize],
    limits: &Limits,
    outcome: &mut Pulled,
) -> Result<Vec<(usize, Vec<u8>, String)>, String> {
    let mut downloads = Vec::new();
    for &i in selected {
        let entry = &manifest.files[i];
        if entry.url.is_empty() {
            println!("skipped {}: no download URL ({})", entry.path, entry.source);
            outcome.skipped.push(entry.path.clone());
            continue;
        }
        println!("downloading {} from {}", entry.path, entry.url);
        let body = download(&entry.url, limits).map_err(|e| format!("{}: {e}\nnothing was changed.", entry.path))?;
        let (version, overlays) = validate(specs_dir, manifest, &entry.path, &body).map_err(|e| {
            format!("{}: the file at {} is not a usable spec: {e}\nnothing was changed.", entry.path, entry.url)
        })?;
        if let Err(e) = overlays {
            let warning = format!("{}: an overlay no longer applies to the new version: {e}", entry.path);
            eprintln!("warning: {warning}\nfix the overlay before `cargo xtask codegen`.");
            outcome.warnings.push(warning);
        }
        downloads.push((i, body, version));
    }
    Ok(downloads)
}

/// Copies of the listed files as they are (`old/`) and as the pull will leave them (`new/`):
/// two complete spec folders, overlays included, for the change report.
fn before_and_after(specs_dir: &Path, manifest: &Manifest, installs: &[Install]) -> Result<Scratch, String> {
    let scratch = Scratch::new()?;
    for entry in &manifest.files {
        let install = installs.iter().find(|install| install.relative == entry.path);
        let before = match install {
            Some(install) => install.old.clone(),
            None => std::fs::read(specs_dir.join(&entry.path)).ok(),
        };
        if let Some(before) = &before {
            scratch.put(&Path::new("old").join(&entry.path), before)?;
        }
        if let Some(after) = install.map(|install| &install.new).or(before.as_ref()) {
            scratch.put(&Path::new("new").join(&entry.path), after)?;
        }
    }
    Ok(scratch)
}

/// A file a pull replaces (or creates: no `old`).
struct Install {
    relative: String,
    path: PathBuf,
    old: Option<Vec<u8>>,
    new: Vec<u8>,
}

/// Record the checksum and version of the named files as they are on disk (every file when
/// `names` is empty: unlisted files are added, entries whose file is gone are dropped).
pub fn record(specs_dir: &Path, names: &[String]) -> Result<(), String> {
    let manifest_path = specs_dir.join(MANIFEST);
    let mut manifest = if manifest_path.exists() { read_manifest(&manifest_path)? } else { Manifest::default() };
    let on_disk = input_files(specs_dir)?;
    let paths: Vec<String> = if names.is_empty() {
        manifest.files.retain(|entry| {
            let kept = on_disk.contains(&entry.path);
            if !kept {
                println!("dropped {}: the file is gone", entry.path);
            }
            kept
        });
        on_disk
    } else {
        names
            .iter()
            .map(|name| {
                on_disk
                    .iter()
                    .find(|path| names_file(name, path))
                    .cloned()
                    .ok_or_else(|| format!("no file `{name}` in {}", specs_dir.display()))
            })
            .collect::<Result<_, _>>()?
    };
    for path in paths {
        let bytes = std::fs::read(specs_dir.join(&path)).map_err(|e| format!("cannot read {path}: {e}"))?;
        let sha256 = sha256_hex(&bytes);
        let version = info_version(&bytes);
        match manifest.files.iter_mut().find(|entry| entry.path == path) {
            Some(entry) if entry.sha256 == sha256 && entry.version == version => println!("unchanged: {path}"),
            Some(entry) => {
                println!("recorded {path} (sha256 {}…, version {version:?})", &sha256[..12]);
                entry.sha256 = sha256;
                entry.version = version;
            }
            None => {
                println!("added {path}: set its `url` and `source` in {MANIFEST}");
                let url = String::new();
                manifest.files.push(Entry { path, url, version, sha256, source: ADDED.to_string() });
            }
        }
    }
    manifest.files.sort_by(|a, b| a.path.cmp(&b.path));
    write_atomically(&manifest_path, render_manifest(&manifest)?.as_bytes())
}

/// For `cargo xtask codegen --check`: every input file under `specs_dir` is listed in the
/// manifest and matches its recorded checksum. The error lists every problem and how to fix it.
pub fn check(specs_dir: &Path) -> Result<(), String> {
    let manifest = read_manifest(&specs_dir.join(MANIFEST))?;
    let on_disk = input_files(specs_dir)?;
    let mut problems = Vec::new();
    for entry in &manifest.files {
        match std::fs::read(specs_dir.join(&entry.path)) {
            Ok(bytes) => {
                let now = sha256_hex(&bytes);
                if now != entry.sha256 {
                    problems
                        .push(format!("{}: SHA-256 {} differs from the recorded {}", entry.path, now, entry.sha256));
                }
            }
            Err(e) => problems.push(format!("{}: listed in {MANIFEST} but cannot be read: {e}", entry.path)),
        }
    }
    for path in &on_disk {
        if !manifest.files.iter().any(|entry| &entry.path == path) {
            problems.push(format!("{path}: not listed in {MANIFEST}"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the files in {} do not match {MANIFEST}:\n  {}\nAn intentional edit: record it with `cargo xtask specs record NAME…` (no NAME: every file) \
         and commit {MANIFEST} with it. Otherwise undo it (`git checkout`, or `cargo xtask specs pull NAME` for a file with a URL).",
        specs_dir.display(),
        problems.join("\n  ")
    ))
}

/// The change report of a pull: `old` and `new` are the spec folder before and after it.
fn print_change_report(old: &Path, new: &Path) {
    match crate::diff::report(old, new) {
        Ok(report) => print!("\n{}", report.markdown()),
        Err(e) => println!("\n(no change report: {e})"),
    }
}

/// The entries `names` designate, in the order given; an error names every unknown one.
fn select(manifest: &Manifest, names: &[String]) -> Result<Vec<usize>, String> {
    let mut unknown = Vec::new();
    let mut selected = Vec::new();
    for name in names {
        match manifest.files.iter().position(|entry| names_file(name, &entry.path)) {
            Some(i) if !selected.contains(&i) => selected.push(i),
            Some(_) => {}
            None => unknown.push(name.as_str()),
        }
    }
    if unknown.is_empty() {
        return Ok(selected);
    }
    let known: Vec<&str> = manifest.files.iter().map(|entry| entry.path.as_str()).collect();
    Err(format!("not in {MANIFEST}: {}\nlisted: {}", unknown.join(", "), known.join(", ")))
}

/// `name` designates `path` when it is the path, its file name, or its file name without extension.
fn names_file(name: &str, path: &str) -> bool {
    name == path || name == file_name_of(path) || name == stem_of(path)
}

/// `specs/overlays/a.overlay.json` → `a.overlay.json`.
fn file_name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `overlays/a.overlay.json` → `a.overlay`; `D1-Public-IN-v1-Card.json` → `D1-Public-IN-v1-Card`.
fn stem_of(path: &str) -> &str {
    let name = file_name_of(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// Fetch `url` with curl: HTTPS (plain HTTP only on loopback, for tests), following
/// redirects to HTTPS only, failing on an HTTP error status, a short body, the timeout, or more
/// than `max_bytes` (counted here, since curl checks its own cap only against Content-Length).
fn download(url: &str, limits: &Limits) -> Result<Vec<u8>, String> {
    if !(url.starts_with("https://") || is_loopback_http(url)) {
        return Err(format!("refusing to download `{url}`: only https:// URLs (http:// only on loopback)"));
    }
    let mut child = Command::new("curl")
        // `--disable` first: no ~/.curlrc; loopback never through a proxy (the tests' server).
        .args(["--disable", "--noproxy", "127.0.0.1,localhost,::1"])
        .args(["--silent", "--show-error", "--fail", "--location", "--max-redirs", "5"])
        .args(["--proto", "=http,https", "--proto-redir", "=https"])
        .arg("--max-time")
        .arg(format!("{:.3}", limits.timeout.as_secs_f64()))
        .arg("--max-filesize")
        .arg(limits.max_bytes.to_string())
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run curl (`specs pull` needs it on PATH): {e}"))?;
    let mut body = Vec::new();
    let read = match child.stdout.take() {
        Some(stdout) => stdout.take(limits.max_bytes + 1).read_to_end(&mut body),
        None => Ok(0),
    };
    if body.len() as u64 > limits.max_bytes {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("download of {url} is larger than {} bytes: stopped", limits.max_bytes));
    }
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| format!("curl did not finish: {e}"))?;
    read.map_err(|e| format!("cannot read curl's output: {e}"))?;
    if !status.success() {
        let reason = stderr.trim();
        let reason = if reason.is_empty() { format!("curl exited with {status}") } else { reason.to_string() };
        return Err(format!("download of {url} failed: {reason}"));
    }
    Ok(body)
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// The downloaded body as the spec at `path` (under `specs_dir`): UTF-8, not an HTML page,
/// accepted by the generator's own load step as one OpenAPI 3.0 document. Returns its
/// `info.version`, and whether the overlays listed for it still apply (a separate result: an
/// upgrade may well need an overlay edit, which is not a reason to refuse it).
fn validate(
    specs_dir: &Path,
    manifest: &Manifest,
    path: &str,
    body: &[u8],
) -> Result<(String, Result<(), String>), String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8 text ({e})"))?;
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('<') {
        let first: String = start.chars().take(60).collect();
        return Err(format!("an HTML page, not an OpenAPI document (a portal login or error page?): {first:?}…"));
    }
    let spec = d1_codegen::load::SourceFile { path: format!("specs/{path}"), text: text.to_string() };
    let loaded = d1_codegen::load::load(std::slice::from_ref(&spec)).map_err(|e| e.to_string())?;
    let version = loaded.into_iter().next().map(|spec| spec.document.info.version).unwrap_or_default();
    let overlay_prefix = format!("{}.overlay.", stem_of(path));
    let mut files = vec![spec];
    for entry in &manifest.files {
        if file_name_of(&entry.path).starts_with(&overlay_prefix) {
            let text = std::fs::read_to_string(specs_dir.join(&entry.path))
                .map_err(|e| format!("cannot read the overlay {}: {e}", entry.path))?;
            files.push(d1_codegen::load::SourceFile { path: format!("specs/{}", entry.path), text });
        }
    }
    let overlays = d1_codegen::load::load(&files).map(drop).map_err(|e| e.to_string());
    Ok((version, overlays))
}

/// Replace each file, then the manifest, each atomically; if one step fails, put back the files
/// already replaced, so a failed install leaves the folder as it was.
fn install_all(installs: &[Install], manifest_path: &Path, manifest: &str) -> Result<(), String> {
    let mut done = Vec::new();
    let result = installs
        .iter()
        .try_for_each(|install| {
            write_atomically(&install.path, &install.new)?;
            done.push(install);
            Ok(())
        })
        .and_then(|()| write_atomically(manifest_path, manifest.as_bytes()));
    let Err(e) = result else { return Ok(()) };
    let mut message = format!("{e}\nthe pull was undone");
    for install in done {
        let restored = match &install.old {
            Some(old) => write_atomically(&install.path, old),
            None => std::fs::remove_file(&install.path).map_err(|e| e.to_string()),
        };
        if let Err(restore) = restored {
            message.push_str(&format!("; could not restore {}: {restore}", install.path.display()));
        }
    }
    Err(message)
}

/// Write through a temporary file in the same folder, renamed over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", path.display())
    })
}

fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut seen = BTreeSet::new();
    for entry in &manifest.files {
        if !seen.insert(entry.path.as_str()) {
            return Err(format!("{}: `{}` is listed twice", path.display(), entry.path));
        }
        if entry.path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
            return Err(format!("{}: `{}` is not a plain relative path", path.display(), entry.path));
        }
    }
    Ok(manifest)
}

fn render_manifest(manifest: &Manifest) -> Result<String, String> {
    let body = toml::to_string(manifest).map_err(|e| format!("cannot render {MANIFEST}: {e}"))?;
    Ok(format!("{HEADER}{body}"))
}

/// The generator's input files under `specs_dir` (`.json`, `.yaml`, `.yml`, recursively, not
/// following links), as sorted `/`-separated relative paths.
fn input_files(specs_dir: &Path) -> Result<Vec<String>, String> {
    let mut paths: Vec<String> = files_under(specs_dir)
        .into_iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "yaml" | "yml")))
        .filter_map(|p| {
            let relative = p.strip_prefix(specs_dir).ok()?;
            let parts: Vec<String> = relative.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            Some(parts.join("/"))
        })
        .collect();
    if paths.is_empty() && !specs_dir.is_dir() {
        return Err(format!("cannot list {}: not a folder", specs_dir.display()));
    }
    paths.sort();
    Ok(paths)
}

/// Regular files under `dir`, recursively, not following symbolic links.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => out.extend(files_under(&entry.path())),
            Ok(kind) if kind.is_file() => out.push(entry.path()),
            _ => {}
        }
    }
    out.sort();
    out
}

/// `info.version` of a JSON document, or `""` when it has none (or is not JSON).
fn info_version(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|doc| doc.pointer("/info/version").and_then(|v| v.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A temporary folder with an `old/` and a `new/` folder; removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Self, String> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-specs-pull-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["old", "new"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        Ok(Scratch { dir })
    }

    fn put(&self, relative: &Path, bytes: &[u8]) -> Result<(), String> {
        let path = self.dir.join(relative);
        let write = |p: &Path| -> std::io::Result<()> {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, bytes)
        };
        write(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests;
