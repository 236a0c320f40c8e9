//! The system descriptions a boot image carries: every `systems/*.toml`,
//! and in test and bench images also every `systems/tests/*.toml` (the
//! scenarios' systems). Each is validated, with the image's entry names as
//! the programs that exist, and packed as `system` (`default.toml`) or
//! `system.NAME`; the rootserver builds `default` unless the kernel
//! command line says `tessera.system=NAME`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::build::Variant;

/// The description the rootserver builds by default.
pub const DEFAULT_SYSTEM: &str = "default";
/// Where descriptions live, under the workspace.
pub const DIR: &str = "systems";
/// Where the test scenarios' descriptions live.
pub const TESTS_DIR: &str = "systems/tests";

/// One description file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Its name: the file name without `.toml`.
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

/// The descriptions `variant`'s image carries, the default first, then
/// by name.
pub fn discover(workspace: &Path, variant: Variant) -> Result<Vec<Source>> {
    let mut found = toml_files(&workspace.join(DIR))?;
    if variant.has_test_programs() {
        found.extend(toml_files(&workspace.join(TESTS_DIR))?);
    }
    found.sort_by(|a, b| {
        let default_first = |s: &Source| s.name != DEFAULT_SYSTEM;
        (default_first(a), &a.name).cmp(&(default_first(b), &b.name))
    });
    if found.first().is_none_or(|s| s.name != DEFAULT_SYSTEM) {
        bail!("there is no {DIR}/{DEFAULT_SYSTEM}.toml");
    }
    if let Some(w) = found.windows(2).find(|w| w[0].name == w[1].name) {
        bail!(
            "two system descriptions are named {:?}: {} and {}",
            w[0].name,
            w[0].path.display(),
            w[1].path.display()
        );
    }
    Ok(found)
}

/// The `.toml` files directly in `dir` (none if it does not exist).
fn toml_files(dir: &Path) -> Result<Vec<Source>> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for entry in read {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
            continue;
        };
        let simple = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if name.is_empty() || !simple {
            bail!(
                "{}: a system description's file name must be a-z, 0-9, '_' and '-' (it names the system)",
                path.display()
            );
        }
        found.push(Source {
            name: name.to_string(),
            path,
        });
    }
    Ok(found)
}

/// Validates every description against the image's `entries` and packs
/// it; every broken rule of every file is reported before failing.
pub fn compile(
    sources: &[Source],
    entries: &[String],
    cores: u32,
) -> Result<Vec<(String, Vec<u8>)>> {
    let options = tessera_sysdesc::Options {
        cores,
        archive_entries: Some(entries.to_vec()),
    };
    let mut compiled = Vec::new();
    let mut errors = Vec::new();
    for source in sources {
        match tessera_sysdesc::build_image(&source.path, &options) {
            Ok(bytes) => compiled.push((source.name.clone(), bytes)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn test_images_carry_the_test_systems() {
        let default = discover(workspace(), Variant::Default).unwrap();
        assert_eq!(default[0].name, DEFAULT_SYSTEM);
        assert!(
            default
                .iter()
                .all(|s| !s.path.starts_with(workspace().join(TESTS_DIR)))
        );
        let test = discover(workspace(), Variant::Test).unwrap();
        assert_eq!(test[0].name, DEFAULT_SYSTEM);
        let names: Vec<_> = test.iter().map(|s| s.name.as_str()).collect();
        for wanted in ["bad-memory", "echo", "fault"] {
            assert!(names.contains(&wanted), "{names:?}");
        }
    }

    #[test]
    fn programs_must_be_in_the_image() {
        let sources = discover(workspace(), Variant::Default).unwrap();
        let e = compile(&sources, &["rootserver".into()], 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("default.toml"), "{e}");
        assert!(
            e.contains("a program must be an entry of the boot archive"),
            "{e}"
        );
    }
}
