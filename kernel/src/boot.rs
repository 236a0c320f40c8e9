//! Boot steps of the boot core, between the MMU coming on and the first
//! thread: reading the device tree, the final kernel map, the console, the
//! interrupt controller and the boot archive.

use tessera_bootarchive::Archive;
use tessera_devtree::Platform;

use crate::arch::aarch64::boot_mmu::{self, KernelRegion};
use crate::arch::aarch64::{cpu, gic, smp, timer};
use crate::println;

/// The FDT header is 40 bytes.
const FDT_HEADER_SIZE: usize = 40;
/// early_map maps the 1 GiB block holding the device tree.
const EARLY_WINDOW: u64 = 1 << 30;

/// Reads the device tree that the loader left at `dtb_pa`; returns it with
/// its size in bytes.
pub fn read_platform(dtb_pa: u64) -> Option<(Platform<'static>, u64)> {
    if dtb_pa == 0 {
        return None;
    }
    let va = boot_mmu::phys_to_virt(dtb_pa) as *const u8;
    // SAFETY: early_map mapped the 1 GiB block holding dtb_pa at its linear
    // address; the header is 40 bytes and the device tree is at least that.
    let header = unsafe { core::slice::from_raw_parts(va, FDT_HEADER_SIZE) };
    let size = tessera_devtree::header_total_size(header).ok()?;
    if (dtb_pa % EARLY_WINDOW).checked_add(size as u64)? > EARLY_WINDOW {
        return None;
    }
    // SAFETY: the whole tree lies in the mapped block (checked above), in RAM
    // that stays mapped at the same address in the final kernel map, and
    // nothing writes to it.
    let dtb = unsafe { core::slice::from_raw_parts(va, size) };
    Some((tessera_devtree::parse(dtb).ok()?, size as u64))
}

/// Builds the final kernel map: all RAM, the UART and the GIC.
pub fn map_kernel(platform: &Platform) {
    let mut regions: heapless::Vec<KernelRegion, 16> = heapless::Vec::new();
    let ram = platform.memory.iter().map(|m| KernelRegion {
        base: m.base,
        size: m.size,
        device: false,
    });
    let uart = platform.uart.iter().map(|u| u.region);
    let gic = platform
        .gic
        .iter()
        .flat_map(|g| core::iter::once(g.dist).chain(g.redists.iter().copied()));
    let devices = uart.chain(gic).map(|r| KernelRegion {
        base: r.base,
        size: r.size,
        device: true,
    });
    for r in ram.chain(devices) {
        if regions.push(r).is_err() {
            break;
        }
    }
    if boot_mmu::build_kernel_map(&regions).is_err() {
        // Without the linear map there is no console to report on.
        cpu::park();
    }
}

/// Starts the kernel console on the device tree's PL011.
pub fn start_console(platform: &Platform) {
    if let Some(uart) = &platform.uart {
        // SAFETY: map_kernel mapped the UART's window as device memory at its
        // linear address, and only the kernel console drives it.
        unsafe { crate::console::init(boot_mmu::phys_to_virt(uart.region.base) as usize) };
    }
}

/// What the boot core found out about its own state.
#[derive(Clone, Copy)]
pub struct CpuStatus {
    pub el: u64,
    pub vhe: bool,
    pub mmu: bool,
    pub dcache: bool,
    pub icache: bool,
}

impl CpuStatus {
    /// Reads the state from the system registers.
    pub fn read() -> CpuStatus {
        use crate::arch::aarch64::sysreg::{read_sctlr_el2, sctlr};
        let sctlr_el2 = read_sctlr_el2();
        CpuStatus {
            el: cpu::current_el(),
            vhe: cpu::vhe_enabled(),
            mmu: sctlr_el2 & sctlr::M != 0,
            dcache: sctlr_el2 & sctlr::C != 0,
            icache: sctlr_el2 & sctlr::I != 0,
        }
    }

    /// Whether everything is as the kernel needs it.
    pub fn all_good(&self) -> bool {
        self.el == 2 && self.vhe && self.mmu && self.dcache && self.icache
    }

    pub fn print(&self) {
        let on = |b: bool| if b { "on" } else { "off" };
        println!(
            "boot: EL{}, VHE {}, MMU {}, D-cache {}, I-cache {}",
            self.el,
            on(self.vhe),
            on(self.mmu),
            on(self.dcache),
            on(self.icache)
        );
    }
}

/// Prints the hardware facts the kernel uses.
pub fn print_platform(p: &Platform) {
    let ram: u64 = p.memory.iter().map(|m| m.size).sum();
    let ram_base = p.memory.first().map_or(0, |m| m.base);
    println!(
        "platform: {} MiB RAM at {:#x}, {} cpus",
        ram >> 20,
        ram_base,
        p.cpus.len()
    );
    match &p.uart {
        Some(u) => println!(
            "platform: PL011 at {:#x} (INTID {:?})",
            u.region.base, u.intid
        ),
        None => println!("platform: no PL011"),
    }
    match &p.gic {
        Some(g) => println!(
            "platform: GICv3 distributor at {:#x}, {} redistributor region(s) from {:#x}",
            g.dist.base,
            g.redists.len(),
            g.redists.first().map_or(0, |r| r.base)
        ),
        None => println!("platform: no GICv3"),
    }
    match &p.psci {
        Some(ps) => println!("platform: PSCI {:?} via {:?}", ps.version, ps.conduit),
        None => println!("platform: no PSCI"),
    }
}

/// The boot archive's bytes, if /chosen names an initrd that lies in RAM.
fn archive_bytes(p: &Platform) -> Option<&'static [u8]> {
    let initrd = p.initrd?;
    let in_ram = p
        .memory
        .iter()
        .any(|m| initrd.base >= m.base && initrd.end().zip(m.end()).is_some_and(|(e, me)| e <= me));
    // SAFETY: the archive lies in RAM (checked), which the linear map covers,
    // and the kernel never writes to it (it is kept out of free memory).
    in_ram.then(|| unsafe {
        core::slice::from_raw_parts(
            boot_mmu::phys_to_virt(initrd.base) as *const u8,
            initrd.size as usize,
        )
    })
}

/// The boot archive, if there is a valid one.
pub fn archive(p: &Platform) -> Option<Archive<'static>> {
    Archive::parse(archive_bytes(p)?).ok()
}

/// Lists the boot archive's entries; returns how many it has.
pub fn list_archive(p: &Platform) -> usize {
    let Some(initrd) = p.initrd else {
        println!("archive: none (no initrd in /chosen)");
        return 0;
    };
    let Some(data) = archive_bytes(p) else {
        println!(
            "archive: {:#x}+{:#x} is not in RAM",
            initrd.base, initrd.size
        );
        return 0;
    };
    match Archive::parse(data) {
        Ok(archive) => {
            println!(
                "archive: {} entries at {:#x}, {} bytes",
                archive.len(),
                initrd.base,
                initrd.size
            );
            for entry in archive.entries() {
                println!("archive:   {:<12} {} bytes", entry.name, entry.data.len());
            }
            archive.len()
        }
        Err(e) => {
            println!("archive: unreadable: {e}");
            0
        }
    }
}

/// Brings up the GIC and the boot core's timer, then unmasks IRQs.
pub fn start_interrupts(p: &Platform) {
    smp::mark_online(0);
    let Some(g) = &p.gic else {
        println!("gic: no GICv3 in the device tree; no interrupts");
        return;
    };
    let mut redists: heapless::Vec<(u64, u64), 4> = heapless::Vec::new();
    for r in &g.redists {
        let _ = redists.push((r.base, r.size));
    }
    if let Err(e) = gic::init_distributor(g.dist.base, &redists) {
        println!("gic: distributor unusable: {e}");
        return;
    }
    if let Err(e) = gic::init_this_cpu(0, cpu::mpidr()) {
        println!("gic: boot core's redistributor unusable: {e}");
        return;
    }
    let Some(t) = &p.timer else {
        println!("timer: none in the device tree");
        return;
    };
    timer::init(t.hyp_phys);
    timer::start_this_cpu(0);
    cpu::enable_irqs();
}

/// The affinities of the device tree's CPUs.
pub fn cpu_mpidrs(p: &Platform) -> heapless::Vec<u64, 16> {
    p.cpus.iter().map(|c| c.mpidr).collect()
}

/// Waits (bounded) until every online core has counted `ticks` timer ticks;
/// returns how many have.
pub fn wait_for_ticks(ticks: u64, timeout_ns: u64) -> usize {
    let deadline = timer::now().saturating_add(timer::ns_to_ticks(timeout_ns));
    let ticking = || {
        (0..smp::core_count())
            .filter(|&c| smp::is_online(c) && timer::ticks(c) >= ticks)
            .count()
    };
    while ticking() < smp::online_count() && timer::now() < deadline {
        cpu::wait_for_interrupt();
    }
    ticking()
}

/// What boot found.
pub struct BootReport {
    pub status: CpuStatus,
    pub archive_entries: usize,
    pub online: usize,
    pub total: usize,
    pub ticking: usize,
}

impl BootReport {
    /// What is not as it should be after boot, in words.
    pub fn problems(&self) -> heapless::Vec<&'static str, 5> {
        let checks = [
            (self.status.all_good(), "EL2, VHE, MMU and caches"),
            (self.archive_entries > 0, "boot archive listed"),
            (self.online == self.total, "all cores online"),
            (
                self.ticking == self.online,
                "timer ticking on every online core",
            ),
        ];
        checks
            .iter()
            .filter(|(ok, _)| !ok)
            .map(|&(_, what)| what)
            .collect()
    }
}
