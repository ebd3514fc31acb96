//! The minijinja templates in the repository's `templates/` folder, embedded at build time so
//! the generator is one self-contained library.

use crate::error::{Error, Location};
use minijinja::Environment;

const TEMPLATES: &[(&str, &str)] = &[
    ("types/Cargo.toml.j2", include_str!("../../../templates/types/Cargo.toml.j2")),
    ("types/README.md.j2", include_str!("../../../templates/types/README.md.j2")),
    ("server/Cargo.toml.j2", include_str!("../../../templates/server/Cargo.toml.j2")),
    ("server/README.md.j2", include_str!("../../../templates/server/README.md.j2")),
    ("client/Cargo.toml.j2", include_str!("../../../templates/client/Cargo.toml.j2")),
    ("client/README.md.j2", include_str!("../../../templates/client/README.md.j2")),
];

pub fn render(name: &str, context: minijinja::Value) -> Result<String, Error> {
    let mut env = Environment::new();
    for (n, source) in TEMPLATES {
        env.add_template(n, source)
            .map_err(|e| Error::new(&Location::new(format!("templates/{n}"), ""), e.to_string()))?;
    }
    let at = Location::new(format!("templates/{name}"), "");
    let template = env.get_template(name).map_err(|e| Error::new(&at, e.to_string()))?;
    let mut text = template.render(context).map_err(|e| Error::new(&at, e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
