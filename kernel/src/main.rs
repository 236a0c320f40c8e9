//! Tessera: a capability microkernel for AArch64 that runs at EL2 and is
//! also a Type-I hypervisor.
//!
//! This file holds the boot sequence of the boot core and of the secondary
//! cores; `arch/aarch64/head.rs` runs before it.
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

mod arch;
mod boot;
mod bootcaps;
mod console;
mod cspace;
mod drivers;
mod fastpath;
mod fatal;
mod fault;
mod invocation;
mod ipc;
mod irq;
mod kernel_entry;
mod klock;
mod msg;
mod object;
mod rootserver;
mod sched;
#[cfg(feature = "test-hooks")]
mod selftest;
mod syscall;

use arch::aarch64::{boot_mmu, cpu, gic, percore, psci, smp, timer, vspace};

/// How long the boot core waits for secondaries to report online.
const SECONDARY_TIMEOUT_NS: u64 = 2_000_000_000;
/// Ticks each core must have counted for its timer to count as running.
const TICKS_REQUIRED: u64 = 3;
/// How long the boot core waits for every core's timer to tick.
const TICK_TIMEOUT_NS: u64 = 2_000_000_000;

/// The boot core's Rust entry, with the MMU on and the device tree at
/// physical address `dtb_pa`.
pub extern "C" fn kernel_main(dtb_pa: u64) -> ! {
    percore::init_this_core();
    sched::init_this_core();
    let Some((platform, dtb_size)) = boot::read_platform(dtb_pa) else {
        // No console is known without the device tree: nothing to report on.
        cpu::park()
    };
    boot::map_kernel(&platform);
    boot::start_console(&platform);
    println!(
        "Tessera {} (EL2 microkernel and hypervisor)",
        env!("CARGO_PKG_VERSION")
    );
    let status = boot::CpuStatus::read();
    status.print();
    boot::print_platform(&platform);
    let archive_entries = boot::list_archive(&platform);

    boot::start_interrupts(&platform);
    let total = smp::assign_indices(cpu::mpidr(), boot::cpu_mpidrs(&platform).as_slice());
    match psci::init(platform.psci.as_ref()).map(|()| psci::version()) {
        Ok(Some((major, minor))) => println!("psci: version {major}.{minor}"),
        Ok(None) => println!("psci: PSCI_VERSION failed"),
        Err(e) => println!("psci: unusable ({e:?}); secondary cores stay off"),
    }
    let online = smp::start_secondaries(SECONDARY_TIMEOUT_NS);
    println!("smp: {online} of {total} cores online");
    let ticking = boot::wait_for_ticks(TICKS_REQUIRED, TICK_TIMEOUT_NS);
    println!(
        "timer: ticking on {ticking} of {online} cores (INTID {}, {} Hz, counter {} Hz)",
        timer::intid(),
        timer::TICK_HZ,
        timer::counter_hz()
    );

    let report = boot::BootReport {
        status,
        archive_entries,
        online,
        total,
        ticking,
    };
    let problems = report.problems();
    if problems.is_empty() {
        println!("tessera: boot complete");
    } else {
        println!("tessera: boot complete, but not as expected: {problems:?}");
    }
    run_selftest(&platform, &report);
    start_rootserver(&platform, dtb_pa, dtb_size)
}

/// Builds the rootserver and hands the boot core to the scheduler.
fn start_rootserver(
    platform: &tessera_devtree::Platform<'static>,
    dtb_pa: u64,
    dtb_size: u64,
) -> ! {
    cpu::disable_irqs();
    #[cfg(feature = "test-hooks")]
    arch::aarch64::pmu::open_cycle_counter_to_user();
    vspace::enable_user_half();
    if tessera_devtree::bootarg(platform.bootargs, "tessera.fastpath") == Some("off") {
        fastpath::set_enabled(false);
        println!("tessera: IPC fastpath off");
    }
    klock::acquire();
    let built = rootserver::free_memory(platform, dtb_pa, dtb_size).and_then(|free| {
        let alloc = rootserver::BootAllocator {
            free,
            tables: heapless::Vec::new(),
        };
        rootserver::create(platform, alloc)
    });
    if let Err(e) = built {
        println!("rootserver: cannot start it: {e}");
    }
    kernel_entry::return_to_user(0)
}

#[cfg(feature = "test-hooks")]
fn run_selftest(platform: &tessera_devtree::Platform, report: &boot::BootReport) {
    if let Some(name) = tessera_devtree::bootarg(platform.bootargs, "tessera.test") {
        selftest::run(name, report);
    }
}

#[cfg(not(feature = "test-hooks"))]
fn run_selftest(platform: &tessera_devtree::Platform, _report: &boot::BootReport) {
    if tessera_devtree::bootarg(platform.bootargs, "tessera.test").is_some() {
        println!("tessera.test ignored: this kernel was built without test hooks");
    }
}

/// A secondary core's Rust entry, with the MMU on.
pub extern "C" fn secondary_main(core: usize) -> ! {
    percore::init_this_core();
    sched::init_this_core();
    boot_mmu::drop_identity_map();
    if let Err(e) = gic::init_this_cpu(core, cpu::mpidr()) {
        println!("smp: core {core}: GIC redistributor unusable ({e}), parking");
        cpu::park();
    }
    timer::start_this_cpu(core);
    #[cfg(feature = "test-hooks")]
    arch::aarch64::pmu::open_cycle_counter_to_user();
    vspace::enable_user_half();
    smp::mark_online(core);
    klock::acquire();
    kernel_entry::return_to_user(core)
}
