//! Generates the types, the client and the server of D1's Card API into `$OUT_DIR/d1.rs` on
//! every build where the spec or its overlay changed (the generator prints the
//! `cargo:rerun-if-changed` lines). The overlay that declares the sealed `encryptedData`
//! field, `specs/overlays/D1-Public-IN-v1-Card.overlay.json`, is found without being named.

fn main() {
    let summary = d1_codegen::Config::new().spec("../../../specs/D1-Public-IN-v1-Card.json").build_script();
    match summary {
        Ok(summary) => {
            for warning in &summary.warnings {
                println!("cargo:warning={warning}");
            }
        }
        Err(error) => {
            // A located error (file + JSON pointer) instead of a panic backtrace.
            eprintln!("d1-codegen: {error}");
            std::process::exit(1);
        }
    }
}
