//! The QEMU command line and the check that QEMU is installed.
//!
//! Only options that QEMU 7.2 (Debian 12's own) already has are used.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::apt;
use crate::exec::{find_in_path, note};

pub const QEMU: &str = "qemu-system-aarch64";
/// The port that `-s` opens for the debugger.
pub const GDB_PORT: u16 = 1234;

/// Where the guest's console goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Serial console and QEMU monitor on this terminal (`-nographic`);
    /// Ctrl-A X quits.
    Terminal,
    /// Only the serial console, on QEMU's stdio, for capture by the test
    /// runner.
    Captured,
}

/// What to boot and how.
#[derive(Debug, Clone)]
pub struct Config<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    /// The kernel command line (`-append`); none if empty.
    pub append: &'a str,
    pub console: Console,
    /// Wait for a debugger on port 1234 before the first instruction.
    pub gdb: bool,
    /// Deterministic timing for measurements ([`DETERMINISTIC`]).
    pub deterministic: bool,
}

/// The options of a measured run: one instruction is one nanosecond of
/// virtual time (`shift=0`), virtual time neither waits for real time
/// (`align=off`) nor sleeps while the cores idle (`sleep=off`, it jumps to
/// the next timer event), and the machine's random seeds are fixed
/// (`-seed 1`), so timer and PMU readings repeat exactly across runs and
/// hosts. QEMU then runs all cores in one host thread, one after another.
pub const DETERMINISTIC: [&str; 4] = ["-icount", "shift=0,align=off,sleep=off", "-seed", "1"];

/// QEMU's arguments for `config`.
pub fn args(config: &Config<'_>) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "-machine",
        "virt,virtualization=on,gic-version=3",
        "-cpu",
        "max",
        "-smp",
        "4",
        "-m",
        "2G",
        // No default network card: nothing uses one yet, and its option ROM
        // is missing where Debian's ipxe-qemu is not installed.
        "-nic",
        "none",
    ]
    .map(OsString::from)
    .into();
    if config.deterministic {
        args.extend(DETERMINISTIC.map(OsString::from));
    }
    let console: &[&str] = match config.console {
        Console::Terminal => &["-nographic"],
        Console::Captured => &["-display", "none", "-monitor", "none", "-serial", "stdio"],
    };
    args.extend(console.iter().map(OsString::from));
    args.extend(["-semihosting-config", "enable=on,target=native"].map(OsString::from));
    args.push("-kernel".into());
    args.push(config.kernel.into());
    args.push("-initrd".into());
    args.push(config.initrd.into());
    if !config.append.is_empty() {
        args.push("-append".into());
        args.push(config.append.into());
    }
    if config.gdb {
        args.extend(["-s", "-S"].map(OsString::from));
    }
    args
}

/// The QEMU command for `config` (stdio not yet set).
pub fn command(config: &Config<'_>) -> Command {
    let mut cmd = Command::new(QEMU);
    cmd.args(args(config));
    cmd
}

/// Makes sure `qemu-system-aarch64` is on PATH, installing Debian's
/// `qemu-system-arm` when running as root.
pub fn ensure_installed() -> Result<()> {
    if find_in_path(QEMU).is_some() {
        return Ok(());
    }
    note!("{QEMU} is not installed");
    if find_in_path("apt-get").is_none() {
        bail!(
            "{QEMU} is not installed and apt-get is missing: install QEMU (7.2 or newer) for AArch64 with this system's package manager"
        );
    }
    let plan = apt::plan_for_this_machine()?;
    if !is_root() {
        bail!(
            "{QEMU} is not installed; install it with:\n{}",
            apt::manual_instructions(&plan)
        );
    }
    note!("running as root: installing {} with apt-get", apt::PACKAGE);
    apt::install(&plan)?;
    if find_in_path(QEMU).is_none() {
        bail!(
            "{} was installed but {QEMU} is still not on PATH",
            apt::PACKAGE
        );
    }
    Ok(())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| parse_effective_uid(&s))
        == Some(0)
}

/// The effective user id from /proc/self/status text (`Uid:` real, effective,
/// saved, filesystem).
pub fn parse_effective_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
}

/// The debugger command line for a kernel started with `gdb: true`.
pub fn gdb_command(kernel_elf: &Path) -> String {
    format!(
        "gdb-multiarch -q {} -ex 'target remote localhost:{GDB_PORT}'",
        kernel_elf.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(console: Console, append: &'static str, gdb: bool) -> Config<'static> {
        Config {
            kernel: Path::new("k.bin"),
            initrd: Path::new("b.cpio"),
            append,
            console,
            gdb,
            deterministic: false,
        }
    }

    fn joined(config: &Config<'_>) -> String {
        args(config)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn terminal_command_line() {
        assert_eq!(
            joined(&config(Console::Terminal, "", false)),
            "-machine virt,virtualization=on,gic-version=3 -cpu max -smp 4 -m 2G -nic none -nographic \
             -semihosting-config enable=on,target=native -kernel k.bin -initrd b.cpio"
        );
    }

    #[test]
    fn captured_command_line_with_append_and_gdb() {
        let args = args(&config(Console::Captured, "tessera.test=boot x=1", true));
        let line = joined(&config(Console::Captured, "tessera.test=boot x=1", true));
        assert!(
            line.contains(" -display none -monitor none -serial stdio "),
            "{line}"
        );
        assert!(!line.contains("-nographic"), "{line}");
        assert!(line.ends_with(" -s -S"), "{line}");
        let append = args.iter().position(|a| a == "-append").unwrap();
        assert_eq!(args[append + 1], "tessera.test=boot x=1");
    }

    #[test]
    fn measured_runs_count_instructions_with_a_fixed_seed() {
        let plain = joined(&config(Console::Captured, "", false));
        assert!(!plain.contains("-icount"), "{plain}");
        let measured = Config {
            deterministic: true,
            ..config(Console::Captured, "tessera.rootserver=bench", false)
        };
        let line = joined(&measured);
        assert!(
            line.starts_with(
                "-machine virt,virtualization=on,gic-version=3 -cpu max -smp 4 -m 2G -nic none \
                 -icount shift=0,align=off,sleep=off -seed 1 -display none "
            ),
            "{line}"
        );
        assert!(
            line.ends_with(" -append tessera.rootserver=bench"),
            "{line}"
        );
    }

    #[test]
    fn effective_uid_is_the_second_field() {
        assert_eq!(
            parse_effective_uid("Name:\tx\nUid:\t1000\t0\t0\t0\n"),
            Some(0)
        );
        assert_eq!(
            parse_effective_uid("Uid:\t0\t1000\t1000\t1000\n"),
            Some(1000)
        );
        assert_eq!(parse_effective_uid("Name:\tx\n"), None);
    }

    #[test]
    fn gdb_command_names_the_elf() {
        assert_eq!(
            gdb_command(Path::new("/t/kernel.elf")),
            "gdb-multiarch -q /t/kernel.elf -ex 'target remote localhost:1234'"
        );
    }
}
