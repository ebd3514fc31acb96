//! The server crate (not written yet).

use super::Options;
use crate::error::Error;
use crate::ir::Ir;
use crate::write::FileTree;

pub(super) fn emit_crate(_ir: &Ir, _options: &Options, _tree: &mut FileTree) -> Result<(), Error> {
    Ok(())
}
