//! The boot archive (`boot.cpio`) that QEMU passes as the initrd: the user
//! programs the kernel starts, in a fixed order.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::build::Variant;
use crate::components::Program;
use crate::systems::DEFAULT_SYSTEM;

/// One file of the boot archive: its name inside the archive and the file it
/// is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub source: Source,
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A built program's ELF file, packed stripped
    /// ([`crate::image::strip_program`]).
    File(PathBuf),
    /// Bytes xtask made (a compiled system description).
    Data(Vec<u8>),
}

/// The boot archive's program entries, in archive order: the rootserver,
/// `vmm`, `rtos`, the component programs (`components/<name>`, test-only
/// ones in the test and bench variants), then the `test` variant's kernel
/// test suite as `ktest` (started with `tessera.rootserver=ktest`) and the
/// `bench` variant's benchmark program as `bench`. `user_bin_dir` is where
/// cargo puts the user programs' ELF files. The compiled system
/// descriptions follow ([`system`]).
pub fn entries(user_bin_dir: &Path, variant: Variant, components: &[Program]) -> Vec<Entry> {
    let test_only: &[(&'static str, &str)] = match variant {
        Variant::Test => &[("ktest", "tessera-ktest")],
        Variant::Bench => &[("ktest", "tessera-ktest"), ("bench", "tessera-bench")],
        Variant::Default => &[],
    };
    let file = |name: &str, binary: &str| Entry {
        name: name.to_string(),
        source: Source::File(user_bin_dir.join(binary)),
    };
    let base = [
        ("rootserver", "tessera-rootserver"),
        ("vmm", "tessera-vmm"),
        ("rtos", "tessera-rtos"),
    ];
    let components = components
        .iter()
        .filter(|c| variant.has_test_programs() || !c.test_only)
        .map(|c| file(&c.entry, &c.package));
    base.iter()
        .map(|(name, binary)| file(name, binary))
        .chain(components)
        .chain(test_only.iter().map(|(name, binary)| file(name, binary)))
        .collect()
}

/// A compiled system description's entry: `system` for the default one,
/// `system.NAME` for the others (chosen with `tessera.system=NAME`).
pub fn system(name: &str, compiled: Vec<u8>) -> Entry {
    let name = if name == DEFAULT_SYSTEM {
        "system".to_string()
    } else {
        format!("system.{name}")
    };
    Entry {
        name,
        source: Source::Data(compiled),
    }
}

/// Reads every entry's file and writes the archive to `out`; returns the
/// archive's size.
pub fn write(entries: &[Entry], out: &Path) -> Result<usize> {
    let contents = entries
        .iter()
        .map(|e| match &e.source {
            Source::File(path) => std::fs::read(path)
                .with_context(|| format!("cannot read {} for the boot archive", path.display()))
                .and_then(|elf| {
                    crate::image::strip_program(&elf)
                        .with_context(|| format!("cannot strip {}", path.display()))
                }),
            Source::Data(bytes) => Ok(bytes.clone()),
        })
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<(&str, &[u8])> = entries
        .iter()
        .zip(&contents)
        .map(|(e, c)| (e.name.as_str(), c.as_slice()))
        .collect();
    let archive = tessera_bootarchive::write(&files)
        .map_err(|e| anyhow::anyhow!("cannot build the boot archive: {e}"))?;
    std::fs::write(out, &archive).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(archive.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn components() -> Vec<Program> {
        let program = |entry: &str, test_only| Program {
            entry: entry.into(),
            package: format!("tessera-{entry}"),
            test_only,
        };
        vec![program("faulty", true), program("serial", false)]
    }

    fn names(variant: Variant) -> Vec<String> {
        entries(Path::new("/t/release"), variant, &components())
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn system_descriptions_are_entries_of_their_own() {
        let e = system("default", vec![1, 2, 3]);
        assert_eq!(e.name, "system");
        assert_eq!(e.source, Source::Data(vec![1, 2, 3]));
        assert_eq!(system("echo", vec![]).name, "system.echo");
    }

    #[test]
    fn user_programs_in_order() {
        assert_eq!(
            names(Variant::Default),
            ["rootserver", "vmm", "rtos", "serial"]
        );
        let entries = entries(Path::new("/t/release"), Variant::Default, &components());
        assert_eq!(
            entries[1].source,
            Source::File("/t/release/tessera-vmm".into())
        );
        assert_eq!(
            entries[3].source,
            Source::File("/t/release/tessera-serial".into())
        );
    }

    #[test]
    fn the_test_variant_carries_the_kernel_suite_and_test_components() {
        assert_eq!(
            names(Variant::Test),
            ["rootserver", "vmm", "rtos", "faulty", "serial", "ktest"]
        );
    }

    #[test]
    fn the_bench_variant_adds_the_benchmarks_to_the_test_entries() {
        let entries = entries(Path::new("/t/release"), Variant::Bench, &components());
        let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "rootserver",
                "vmm",
                "rtos",
                "faulty",
                "serial",
                "ktest",
                "bench"
            ]
        );
        assert_eq!(
            entries[6].source,
            Source::File("/t/release/tessera-bench".into())
        );
    }
}
