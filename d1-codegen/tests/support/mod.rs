//! What several generator tests share: the repository's specs, and a small deterministic
//! random number generator for the mutation and fuzz runs.
#![allow(dead_code)] // each test file uses part of it

use d1_codegen::load::SourceFile;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// Every spec and overlay under `specs/`, as the generator reads them, sorted by path.
pub fn read_specs() -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut stack = vec![repo().join("specs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("specs folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let shown = path.strip_prefix(repo()).expect("inside repo").to_string_lossy().replace('\\', "/");
                files.push(SourceFile { path: shown, text: std::fs::read_to_string(&path).expect("readable") });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// xorshift64*: small, deterministic, good enough to pick mutations and fuzz inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
