//! The minijinja templates in the repository's `templates/` folder, embedded at build time so
//! the generator is one self-contained library.

use crate::error::{Error, Location};
use crate::escape;
use minijinja::Environment;

const TEMPLATES: &[(&str, &str)] = &[
    ("types/Cargo.toml.j2", include_str!("../../../templates/types/Cargo.toml.j2")),
    ("types/README.md.j2", include_str!("../../../templates/types/README.md.j2")),
    ("server/Cargo.toml.j2", include_str!("../../../templates/server/Cargo.toml.j2")),
    ("server/README.md.j2", include_str!("../../../templates/server/README.md.j2")),
    ("client/Cargo.toml.j2", include_str!("../../../templates/client/Cargo.toml.j2")),
    ("client/README.md.j2", include_str!("../../../templates/client/README.md.j2")),
];

/// Every `{{ … }}` of a template goes through the escaping function of the file it renders:
/// [`escape::toml`] for `*.toml.j2`, [`escape::markdown`] for `*.md.j2`. No template can forget
/// it, and a template of another kind is refused rather than rendered unescaped.
fn formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let escape: fn(&str) -> String = if state.name().ends_with(".toml.j2") {
        escape::toml
    } else if state.name().ends_with(".md.j2") {
        escape::markdown
    } else {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "no escaping function for this kind of template",
        ));
    };
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = match value.downcast_object_ref::<Sources>() {
        Some(sources) => sources.describe(escape),
        None => escape(&value.to_string()),
    };
    out.write_str(&text).map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write"))
}

/// The spec file names a generated file comes from, for a template's `{{ sources }}`: each name
/// is escaped for the template's context, then quoted in backticks.
#[derive(Debug)]
pub(crate) struct Sources(pub Vec<String>);

impl minijinja::value::Object for Sources {}

impl Sources {
    pub(crate) fn describe(&self, escape: fn(&str) -> String) -> String {
        let names: Vec<String> = self.0.iter().map(|s| escape(s)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        super::describe_escaped(&names)
    }
}

/// Renders template `name` with `context`. Only that template is compiled: the templates do not
/// include one another, and compiling all six for each of the six files a run writes was a
/// tenth of the instructions of a run on a small spec.
pub fn render(name: &str, context: minijinja::Value) -> Result<String, Error> {
    let at = Location::new(format!("templates/{name}"), "");
    let source = TEMPLATES
        .iter()
        .find_map(|(n, source)| (*n == name).then_some(*source))
        .ok_or_else(|| Error::new(&at, "no such template"))?;
    let mut env = Environment::new();
    env.set_formatter(formatter);
    env.add_template(name, source).map_err(|e| Error::new(&at, e.to_string()))?;
    let template = env.get_template(name).map_err(|e| Error::new(&at, e.to_string()))?;
    let mut text = template.render(context).map_err(|e| Error::new(&at, e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, source) in TEMPLATES {
            let mut env = Environment::new();
            assert!(env.add_template(name, source).is_ok(), "{name} does not compile");
        }
    }

    #[test]
    fn an_unknown_template_is_an_error_naming_it() {
        let error = render("client/nothing.md.j2", minijinja::Value::UNDEFINED).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("templates/client/nothing.md.j2")));
    }
}
