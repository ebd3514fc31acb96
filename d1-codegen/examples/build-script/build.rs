//! Generates the types of one D1 spec into `$OUT_DIR/d1_types.rs` on every build where the
//! spec changed (the generator prints the `cargo:rerun-if-changed` lines).

fn main() {
    let summary = d1_codegen::Config::new().spec("../../../specs/D1-Public-IN-v2-Consumer.json").build_script();
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
