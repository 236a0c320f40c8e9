//! `cargo xtask build`: the cargo invocations for the kernel and the user
//! programs, and the artifacts made from them (kernel.elf, kernel.bin,
//! boot.cpio) under `<target>/tessera/<variant>/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::exec::{self, find_in_path, note};
use crate::{archive, components, image, systems};

/// The kernel's target: no FP/SIMD registers in kernel code, so user threads'
/// FP state can be switched lazily and is never clobbered by the kernel.
pub const KERNEL_TARGET: &str = "aarch64-unknown-none-softfloat";
/// User programs may use FP/SIMD.
pub const USER_TARGET: &str = "aarch64-unknown-none";
const TARGETS: [&str; 2] = [KERNEL_TARGET, USER_TARGET];
const KERNEL: &str = "tessera-kernel";
const USER_PROGRAMS: [&str; 3] = ["tessera-rootserver", "tessera-vmm", "tessera-rtos"];
/// User programs of the `test` and `bench` variants only.
const TEST_PROGRAMS: [&str; 1] = ["tessera-ktest"];
/// User programs of the `bench` variant only.
const BENCH_PROGRAMS: [&str; 1] = ["tessera-bench"];

/// The kernel build to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The kernel as it ships.
    Default,
    /// With the `test-hooks` feature (the self-tests of the QEMU scenarios).
    Test,
    /// The test kernel with the benchmark program added to the boot
    /// archive (`cargo xtask bench`).
    Bench,
}

impl Variant {
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Test => "test",
            Self::Bench => "bench",
        }
    }

    /// The kernel features of this variant: `test-hooks` for test and
    /// bench builds, and `stats` (counters the scenarios check, e.g. that
    /// the IPC fastpath was taken) for test builds only, so benchmarks
    /// measure the kernel without them.
    pub fn kernel_features(self) -> Option<&'static str> {
        match self {
            Self::Default => None,
            Self::Test => Some("test-hooks,stats"),
            Self::Bench => Some("test-hooks"),
        }
    }

    /// Whether the image carries test programs: the kernel test suite,
    /// test-only components and the scenarios' system descriptions.
    pub fn has_test_programs(self) -> bool {
        self != Self::Default
    }

    /// The user programs built besides the ones every variant has.
    fn extra_programs(self) -> &'static [&'static str] {
        match self {
            Self::Default => &[],
            Self::Test => &TEST_PROGRAMS,
            Self::Bench => &[TEST_PROGRAMS[0], BENCH_PROGRAMS[0]],
        }
    }
}

/// Where things are: the workspace root and cargo's target directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub workspace: PathBuf,
    pub target: PathBuf,
}

impl Layout {
    /// The workspace above this crate, and `CARGO_TARGET_DIR` (made absolute
    /// against the current directory, as cargo does) or `<workspace>/target`.
    pub fn detect() -> Result<Self> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let workspace = manifest_dir
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => std::path::absolute(PathBuf::from(dir))?,
            None => workspace.join("target"),
        };
        Ok(Self { workspace, target })
    }

    /// A cargo command run in the workspace with the same target directory.
    pub fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&self.workspace)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    /// Where cargo puts the release binaries for `target`.
    pub fn release_dir(&self, target: &str) -> PathBuf {
        self.target.join(target).join("release")
    }

    pub fn artifacts(&self, variant: Variant) -> Artifacts {
        let dir = self.target.join("tessera").join(variant.dir_name());
        Artifacts {
            kernel_elf: dir.join("kernel.elf"),
            kernel_bin: dir.join("kernel.bin"),
            archive: dir.join("boot.cpio"),
            dir,
        }
    }

    pub fn test_logs(&self) -> PathBuf {
        self.target.join("test-logs")
    }

    /// Where `cargo xtask bench` keeps its log and results.
    pub fn bench_dir(&self) -> PathBuf {
        self.target.join("bench")
    }
}

/// The files `cargo xtask build` makes for one variant.
#[derive(Debug, Clone)]
pub struct Artifacts {
    pub dir: PathBuf,
    pub kernel_elf: PathBuf,
    pub kernel_bin: PathBuf,
    pub archive: PathBuf,
}

/// Builds `variant`: kernel, user programs, flat image and boot archive.
pub fn build(layout: &Layout, variant: Variant) -> Result<Artifacts> {
    ensure_rust_target(layout)?;
    let components = components::discover(&layout.workspace)?;
    let mut entries = archive::entries(&layout.release_dir(USER_TARGET), variant, &components);
    // Validated before anything is built: a bad description stops here.
    let systems = compile_system_descriptions(layout, variant, &entries)?;
    let out = layout.artifacts(variant);
    std::fs::create_dir_all(&out.dir)
        .with_context(|| format!("cannot create {}", out.dir.display()))?;

    let mut kernel = layout.cargo();
    kernel.args([
        "build",
        "--release",
        "--target",
        KERNEL_TARGET,
        "-p",
        KERNEL,
    ]);
    if let Some(features) = variant.kernel_features() {
        kernel.args(["--features", features]);
    }
    exec::run(&mut kernel)?;
    // Copied at once: both variants leave their kernel at the same path.
    let built = layout.release_dir(KERNEL_TARGET).join(KERNEL);
    std::fs::copy(&built, &out.kernel_elf).with_context(|| {
        format!(
            "cannot copy {} to {}",
            built.display(),
            out.kernel_elf.display()
        )
    })?;

    let mut users = layout.cargo();
    users.args(["build", "--release", "--target", USER_TARGET]);
    for program in USER_PROGRAMS.iter().chain(variant.extra_programs()) {
        users.args(["-p", program]);
    }
    for c in &components {
        if variant.has_test_programs() || !c.test_only {
            users.args(["-p", &c.package]);
        }
    }
    exec::run(&mut users)?;

    write_image(&out)?;
    entries.extend(
        systems
            .into_iter()
            .map(|(name, bytes)| archive::system(&name, bytes)),
    );
    let size = archive::write(&entries, &out.archive)?;
    note!(
        "wrote {} ({} entries, {size} bytes)",
        out.archive.display(),
        entries.len()
    );
    Ok(out)
}

/// Cores of the machine `cargo xtask run` and the tests start.
const CORES: u32 = 4;

/// Validates the system descriptions `variant`'s image carries against
/// its program `entries` and compiles them for the rootserver; every rule
/// they break is reported, naming the file and the entry.
fn compile_system_descriptions(
    layout: &Layout,
    variant: Variant,
    entries: &[archive::Entry],
) -> Result<Vec<(String, Vec<u8>)>> {
    let sources = systems::discover(&layout.workspace, variant)?;
    let names: Vec<_> = sources.iter().map(|s| s.name.as_str()).collect();
    note!("validating system descriptions: {}", names.join(", "));
    let programs: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    systems::compile(&sources, &programs, CORES)
}

/// Converts kernel.elf into kernel.bin, which must carry the Image header.
fn write_image(out: &Artifacts) -> Result<()> {
    let elf = std::fs::read(&out.kernel_elf)
        .with_context(|| format!("cannot read {}", out.kernel_elf.display()))?;
    let context = || format!("cannot make a flat image of {}", out.kernel_elf.display());
    let flat = image::elf_to_image(&elf).with_context(context)?;
    if let Err(e) = image::check_image_header(&flat) {
        // No stale image from an earlier build may stay behind to be booted.
        let _ = std::fs::remove_file(&out.kernel_bin);
        return Err(e).with_context(context);
    }
    std::fs::write(&out.kernel_bin, &flat)
        .with_context(|| format!("cannot write {}", out.kernel_bin.display()))?;
    note!("wrote {} ({} bytes)", out.kernel_bin.display(), flat.len());
    Ok(())
}

/// Makes sure the standard libraries for the kernel's and the user
/// programs' targets are installed for the workspace's toolchain, adding them
/// with rustup if need be.
pub fn ensure_rust_target(layout: &Layout) -> Result<()> {
    let mut rustc = Command::new("rustc");
    rustc
        .current_dir(&layout.workspace)
        .args(["--print", "sysroot"]);
    let sysroot = exec::output(&mut rustc)?;
    for target in TARGETS {
        let target_lib = Path::new(sysroot.trim()).join("lib/rustlib").join(target);
        if target_lib.is_dir() {
            continue;
        }
        let add = format!("rustup target add {target}");
        if find_in_path("rustup").is_none() {
            bail!("the Rust target {target} is not installed and rustup is missing; run: {add}");
        }
        note!("the Rust target {target} is not installed; adding it");
        let mut rustup = Command::new("rustup");
        rustup
            .current_dir(&layout.workspace)
            .args(["target", "add", target]);
        exec::run(&mut rustup)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout whose workspace holds `systems/default.toml` = `text`.
    fn workspace_with(text: &str) -> (Layout, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "xtask-sysdesc-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::create_dir_all(dir.join("systems")).unwrap();
        std::fs::write(dir.join("systems/default.toml"), text).unwrap();
        (
            Layout {
                workspace: dir.clone(),
                target: dir.join("target"),
            },
            dir,
        )
    }

    fn entries_of(layout: &Layout, variant: Variant) -> Vec<archive::Entry> {
        let components = components::discover(&layout.workspace).unwrap();
        archive::entries(&layout.release_dir(USER_TARGET), variant, &components)
    }

    #[test]
    fn the_shipped_system_descriptions_compile() {
        let layout = Layout::detect().unwrap();
        for variant in [Variant::Default, Variant::Test] {
            let entries = entries_of(&layout, variant);
            let systems = compile_system_descriptions(&layout, variant, &entries).unwrap();
            assert_eq!(systems[0].0, "default");
            assert!(systems.iter().all(|(_, bytes)| bytes.starts_with(b"TSYS")));
        }
    }

    #[test]
    fn a_bad_system_description_stops_the_build_naming_file_and_entry() {
        let text = "[[component]]\nname = \"a\"\nprogram = \"a\"\npriority = 300\n";
        let (layout, dir) = workspace_with(text);
        let entries = entries_of(&layout, Variant::Default);
        let e = compile_system_descriptions(&layout, Variant::Default, &entries)
            .unwrap_err()
            .to_string();
        let _ = std::fs::remove_dir_all(dir);
        assert!(e.contains("systems/default.toml"), "{e}");
        assert!(e.contains("component \"a\""), "{e}");
        assert!(e.to_lowercase().contains("priority"), "{e}");
        assert!(
            e.contains("a program must be an entry of the boot archive"),
            "{e}"
        );
    }

    #[test]
    fn artifacts_live_under_the_variant_directory() {
        let layout = Layout {
            workspace: "/w".into(),
            target: "/w/target".into(),
        };
        let test = layout.artifacts(Variant::Test);
        assert_eq!(
            test.kernel_bin,
            Path::new("/w/target/tessera/test/kernel.bin")
        );
        assert_eq!(test.archive, Path::new("/w/target/tessera/test/boot.cpio"));
        let default = layout.artifacts(Variant::Default);
        assert_eq!(
            default.kernel_elf,
            Path::new("/w/target/tessera/default/kernel.elf")
        );
        assert_eq!(
            layout.release_dir(USER_TARGET),
            Path::new("/w/target/aarch64-unknown-none/release")
        );
        let bench = layout.artifacts(Variant::Bench);
        assert_eq!(
            bench.kernel_bin,
            Path::new("/w/target/tessera/bench/kernel.bin")
        );
        assert_eq!(layout.bench_dir(), Path::new("/w/target/bench"));
    }

    #[test]
    fn the_bench_variant_is_the_test_kernel_plus_the_benchmarks() {
        assert_eq!(Variant::Test.kernel_features(), Some("test-hooks,stats"));
        assert_eq!(Variant::Bench.kernel_features(), Some("test-hooks"));
        assert_eq!(Variant::Default.kernel_features(), None);
        assert_eq!(
            Variant::Bench.extra_programs(),
            ["tessera-ktest", "tessera-bench"]
        );
        assert_eq!(Variant::Test.extra_programs(), ["tessera-ktest"]);
        assert!(Variant::Default.extra_programs().is_empty());
    }
}
