//! The native-component programs: every crate in `components/<dir>/`. Each
//! is built for the user target and packed into the boot archive under its
//! directory's name, the name a system description's `program` uses. A
//! crate whose manifest says
//!
//! ```toml
//! [package.metadata.tessera]
//! test-only = true
//! ```
//!
//! goes into the test (and bench) images only.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// Where component crates live, under the workspace.
pub const DIR: &str = "components";

/// One component program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The boot-archive entry name (the crate's directory name).
    pub entry: String,
    /// The cargo package (and binary) name.
    pub package: String,
    /// Packed into test and bench images only.
    pub test_only: bool,
}

/// Every component crate under `<workspace>/components`, by entry name.
pub fn discover(workspace: &Path) -> Result<Vec<Program>> {
    let dir = workspace.join(DIR);
    let Ok(read) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut programs = Vec::new();
    for entry in read {
        let path = entry?.path();
        let manifest = path.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("a component directory name is not UTF-8")?;
        programs.push(parse(name, &text).with_context(|| format!("in {}", manifest.display()))?);
    }
    programs.sort_by(|a, b| a.entry.cmp(&b.entry));
    Ok(programs)
}

/// The program in directory `dir` whose manifest is `manifest`.
fn parse(dir: &str, manifest: &str) -> Result<Program> {
    let simple = !dir.is_empty()
        && dir.len() <= 32
        && dir
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !simple || dir == "rootserver" {
        bail!(
            "component directory {dir:?} is not a usable program name (1 to 32 of a-z, 0-9, '_', '-'; not \"rootserver\")"
        );
    }
    let table: toml::Table = toml::from_str(manifest)?;
    let package = table.get("package").and_then(|p| p.as_table());
    let Some(name) = package.and_then(|p| p.get("name")).and_then(|n| n.as_str()) else {
        bail!("no package name");
    };
    let test_only = package
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("tessera"))
        .and_then(|t| t.get("test-only"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    Ok(Program {
        entry: dir.to_string(),
        package: name.to_string(),
        test_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_components_are_found() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let programs = discover(workspace).unwrap();
        let entries: Vec<_> = programs.iter().map(|p| p.entry.as_str()).collect();
        for wanted in ["faulty", "ping", "pong", "serial"] {
            assert!(entries.contains(&wanted), "{entries:?}");
        }
        let serial = programs.iter().find(|p| p.entry == "serial").unwrap();
        assert_eq!(serial.package, "tessera-serial");
        assert!(!serial.test_only);
        assert!(
            programs
                .iter()
                .find(|p| p.entry == "faulty")
                .unwrap()
                .test_only
        );
    }

    #[test]
    fn manifests_are_read() {
        let p = parse(
            "hello",
            "[package]\nname = \"hello\"\n[package.metadata.tessera]\ntest-only = true\n",
        )
        .unwrap();
        assert_eq!((p.package.as_str(), p.test_only), ("hello", true));
        assert!(parse("Hello", "[package]\nname = \"x\"\n").is_err());
        assert!(parse("rootserver", "[package]\nname = \"x\"\n").is_err());
        assert!(parse("x", "[lib]\n").is_err());
    }
}
