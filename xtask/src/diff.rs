//! `cargo xtask diff OLD_DIR NEW_DIR` and `cargo xtask diff --rev REV [DIR]`: what changed in
//! the generated API between two versions of the specs, as Markdown (see `d1_codegen::diff`).

use d1_codegen::diff::Report;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub const USAGE: &str =
    "  diff OLD_DIR NEW_DIR [--fail-on-breaking]   the API changes between two spec folders, as Markdown
  diff --rev REV [DIR] [--fail-on-breaking]   the same, from the specs at git revision REV to DIR (default specs/)";

/// The changes from the specs in `old` to those in `new` (each a folder, overlays included).
pub fn report(old: &Path, new: &Path) -> Result<Report, String> {
    let ir = |dir: &Path| {
        // Locations are shown relative to the folder: `D1-Public-IN-v1-Card.json#/paths/…`.
        let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
        d1_codegen::Config::new().specs_dir(&dir).display_root(&dir).ir().map_err(|e| format!("{}: {e}", dir.display()))
    };
    let (old_ir, options) = ir(old)?;
    let (new_ir, _) = ir(new)?;
    Ok(d1_codegen::diff::compare(&old_ir, &new_ir, &options))
}

pub fn main(args: &[String], root: &Path) -> ExitCode {
    let fail_on_breaking = args.iter().any(|a| a == "--fail-on-breaking");
    let rest: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--fail-on-breaking").collect();
    let result = match rest.as_slice() {
        ["--rev", rev] => at_revision(root, rev, &root.join("specs")),
        ["--rev", rev, dir] => at_revision(root, rev, Path::new(dir)),
        [old, new] if !old.starts_with("--") && !new.starts_with("--") => report(Path::new(old), Path::new(new)),
        _ => {
            eprintln!("usage:\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(report) => {
            print!("{}", report.markdown());
            if fail_on_breaking && report.is_breaking() {
                eprintln!("breaking changes (--fail-on-breaking)");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Compare `dir` at git revision `rev` with `dir` in the working tree: `git archive` writes
/// the old folder into a temporary directory, removed afterwards.
fn at_revision(root: &Path, rev: &str, dir: &Path) -> Result<Report, String> {
    // DIR is relative to the current folder, like OLD_DIR and NEW_DIR.
    let absolute = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let root = root.canonicalize().map_err(|e| format!("{}: {e}", root.display()))?;
    let inside = absolute
        .strip_prefix(&root)
        .map_err(|_| format!("{} is not inside the repository {}", dir.display(), root.display()))?;
    let inside = inside.to_string_lossy().replace('\\', "/");
    let temp = std::env::temp_dir().join(format!("d1-xtask-diff-{}", std::process::id()));
    std::fs::create_dir_all(&temp).map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    let result = archive(&root, rev, &inside, &temp).and_then(|old| report(&old, &absolute));
    let _ = std::fs::remove_dir_all(&temp);
    result
}

/// `git archive REV -- PATH | tar -x -C temp`, as two processes without a shell.
fn archive(root: &Path, rev: &str, path: &str, temp: &Path) -> Result<PathBuf, String> {
    let tar_file = temp.join("specs.tar");
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["archive", "--format=tar", "-o"])
        .arg(&tar_file)
        .arg(format!("{rev}:{path}"))
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !status.success() {
        return Err(format!("`git archive {rev}:{path}` failed: is `{rev}` a revision that has `{path}`?"));
    }
    let out = temp.join("old");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&tar_file)
        .arg("-C")
        .arg(&out)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!("cannot unpack the specs of `{rev}`"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn report_of_two_folders() {
        let case = root().join("d1-codegen/tests/diff-pairs/add-operation");
        let report = report(&case.join("old"), &case.join("new")).expect("report");
        assert!(report.is_breaking());
        let md = report.markdown();
        assert!(md.contains("operation-added"), "{md}");
        assert!(md.contains("`d1_server::in_v1_card::InV1CardApi::resume`"), "{md}");
    }

    #[test]
    fn a_committed_folder_against_itself_at_head_has_no_change() {
        let dir = root().join("d1-codegen/tests/diff-pairs/add-operation/new");
        let report = at_revision(&root(), "HEAD", &dir).expect("report");
        assert!(report.changes.is_empty(), "{}", report.markdown());
    }

    #[test]
    fn a_folder_outside_the_repository_is_refused() {
        let error = at_revision(&root(), "HEAD", &std::env::temp_dir()).expect_err("outside");
        assert!(error.contains("not inside the repository"), "{error}");
    }
}
