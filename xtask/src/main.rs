//! `cargo xtask`: builds Tessera's kernel image and boot archive, boots them
//! in QEMU, and runs the tests.

mod apt;
mod archive;
mod bench;
mod build;
mod components;
mod console;
mod exec;
mod image;
mod qemu;
mod scenarios;
mod systems;
mod test;
mod verdict;

use std::process::{ExitCode, Stdio};

use anyhow::Result;
use clap::{Parser, Subcommand};

use build::{Layout, Variant};
use exec::{find_in_path, note};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, run and test Tessera")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the kernel image (kernel.bin) and the boot archive (boot.cpio)
    /// under <target>/tessera/<variant>/
    Build {
        /// Build the test variant (kernel feature `test-hooks`)
        #[arg(long)]
        test_hooks: bool,
    },
    /// Build, then boot Tessera in QEMU with the console on this terminal
    Run {
        /// Stop before the first instruction and wait for a debugger on
        /// localhost:1234
        #[arg(long)]
        gdb: bool,
        /// Extra kernel command line (after `--`)
        #[arg(last = true)]
        cmdline: Vec<String>,
    },
    /// Run the host unit tests and the QEMU scenarios
    Test {
        /// Run only these scenarios (the host tests always run)
        scenarios: Vec<String>,
    },
    /// Run the IPC and system-call benchmarks under deterministic QEMU
    /// timing; results in <target>/bench/latest.json
    Bench {
        /// Extra kernel command line (after `--`), such as
        /// `tessera.fastpath=off`
        #[arg(last = true)]
        cmdline: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Cmd) -> Result<ExitCode> {
    let layout = Layout::detect()?;
    match command {
        Cmd::Build { test_hooks } => {
            let variant = if test_hooks {
                Variant::Test
            } else {
                Variant::Default
            };
            build::build(&layout, variant)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { gdb, cmdline } => boot(&layout, gdb, &cmdline.join(" ")),
        Cmd::Test { scenarios } => test::run(&layout, &scenarios),
        Cmd::Bench { cmdline } => bench::run(&layout, &cmdline.join(" ")),
    }
}

/// `cargo xtask run`: the default variant in QEMU, console on this terminal.
fn boot(layout: &Layout, gdb: bool, cmdline: &str) -> Result<ExitCode> {
    qemu::ensure_installed()?;
    let artifacts = build::build(layout, Variant::Default)?;
    let config = qemu::Config {
        kernel: &artifacts.kernel_bin,
        initrd: &artifacts.archive,
        append: cmdline,
        console: qemu::Console::Terminal,
        gdb,
        deterministic: false,
    };
    if gdb {
        note!("QEMU will wait for a debugger; in another terminal run:");
        note!("  {}", qemu::gdb_command(&artifacts.kernel_elf));
        if find_in_path("gdb-multiarch").is_none() {
            note!("(gdb-multiarch is not installed: apt-get install gdb-multiarch)");
        }
    }
    note!("press Ctrl-A X to quit QEMU");
    let mut cmd = qemu::command(&config);
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let status = exec::status(&mut cmd)?;
    Ok(ExitCode::from(exec::exit_code(status)))
}
