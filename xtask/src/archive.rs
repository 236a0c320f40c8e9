//! The boot archive (`boot.cpio`) that QEMU passes as the initrd: the user
//! programs the kernel starts, in a fixed order.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::build::Variant;

/// One file of the boot archive: its name inside the archive and the file it
/// is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: &'static str,
    pub source: Source,
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file (a built program).
    File(PathBuf),
    /// Bytes xtask made (the compiled system description).
    Data(Vec<u8>),
}

/// The boot archive's entries, in archive order. `user_bin_dir` is where
/// cargo puts the user programs' ELF files. The `test` variant adds the
/// kernel test suite as `ktest` (started with `tessera.rootserver=ktest`);
/// the `bench` variant has the test variant's entries and the benchmark
/// program as `bench` (`tessera.rootserver=bench`). Later entries (system
/// description, guest images) are added here.
pub fn entries(user_bin_dir: &Path, variant: Variant) -> Vec<Entry> {
    let test_only: &[(&'static str, &str)] = match variant {
        Variant::Test => &[("ktest", "tessera-ktest")],
        Variant::Bench => &[("ktest", "tessera-ktest"), ("bench", "tessera-bench")],
        Variant::Default => &[],
    };
    [
        ("rootserver", "tessera-rootserver"),
        ("vmm", "tessera-vmm"),
        ("rtos", "tessera-rtos"),
    ]
    .iter()
    .chain(test_only)
    .copied()
    .map(|(name, binary)| Entry {
        name,
        source: Source::File(user_bin_dir.join(binary)),
    })
    .collect()
}

/// The compiled system description's entry.
pub fn system(compiled: Vec<u8>) -> Entry {
    Entry {
        name: "system",
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
                .with_context(|| format!("cannot read {} for the boot archive", path.display())),
            Source::Data(bytes) => Ok(bytes.clone()),
        })
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<(&str, &[u8])> = entries
        .iter()
        .zip(&contents)
        .map(|(e, c)| (e.name, c.as_slice()))
        .collect();
    let archive = tessera_bootarchive::write(&files)
        .map_err(|e| anyhow::anyhow!("cannot build the boot archive: {e}"))?;
    std::fs::write(out, &archive).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(archive.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_description_is_an_entry_of_its_own() {
        let e = system(vec![1, 2, 3]);
        assert_eq!(e.name, "system");
        assert_eq!(e.source, Source::Data(vec![1, 2, 3]));
    }

    #[test]
    fn user_programs_in_order() {
        let entries = entries(Path::new("/t/release"), Variant::Default);
        let names: Vec<_> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, ["rootserver", "vmm", "rtos"]);
        assert_eq!(
            entries[1].source,
            Source::File("/t/release/tessera-vmm".into())
        );
    }

    #[test]
    fn the_test_variant_carries_the_kernel_suite() {
        let entries = entries(Path::new("/t/release"), Variant::Test);
        let names: Vec<_> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, ["rootserver", "vmm", "rtos", "ktest"]);
        assert_eq!(
            entries[3].source,
            Source::File("/t/release/tessera-ktest".into())
        );
    }

    #[test]
    fn the_bench_variant_adds_the_benchmarks_to_the_test_entries() {
        let entries = entries(Path::new("/t/release"), Variant::Bench);
        let names: Vec<_> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, ["rootserver", "vmm", "rtos", "ktest", "bench"]);
        assert_eq!(
            entries[4].source,
            Source::File("/t/release/tessera-bench".into())
        );
    }
}
