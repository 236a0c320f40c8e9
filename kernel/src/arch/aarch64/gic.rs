//! GICv3: the distributor, one redistributor per core, and the CPU interface
//! through system registers.
//!
//! The kernel uses affinity routing (ARE) with a single security state, as
//! QEMU's `virt` board has it with `virtualization=on` and no EL3. All
//! interrupts are Group 1.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

use super::smp::MAX_CPUS;
use super::{boot_mmu, sysreg};

register_bitfields![u32,
    GICD_CTLR [
        RWP OFFSET(31) NUMBITS(1) [],
        DS OFFSET(6) NUMBITS(1) [],
        ARE OFFSET(4) NUMBITS(1) [],
        ENABLE_GRP1 OFFSET(1) NUMBITS(1) [],
        ENABLE_GRP0 OFFSET(0) NUMBITS(1) []
    ],
    GICD_TYPER [
        IT_LINES_NUMBER OFFSET(0) NUMBITS(5) []
    ],
    GICR_WAKER [
        CHILDREN_ASLEEP OFFSET(2) NUMBITS(1) [],
        PROCESSOR_SLEEP OFFSET(1) NUMBITS(1) []
    ]
];

register_bitfields![u64,
    GICR_TYPER [
        AFFINITY OFFSET(32) NUMBITS(32) [],
        LAST OFFSET(4) NUMBITS(1) [],
        VLPIS OFFSET(1) NUMBITS(1) []
    ]
];

register_structs! {
    /// The distributor (GICD), 64 KiB.
    pub GicdRegs {
        (0x0000 => ctlr: ReadWrite<u32, GICD_CTLR::Register>),
        (0x0004 => typer: ReadOnly<u32, GICD_TYPER::Register>),
        (0x0008 => _reserved0),
        (0x0080 => igroupr: [ReadWrite<u32>; 32]),
        (0x0100 => isenabler: [ReadWrite<u32>; 32]),
        (0x0180 => icenabler: [ReadWrite<u32>; 32]),
        (0x0200 => ispendr: [ReadWrite<u32>; 32]),
        (0x0280 => icpendr: [ReadWrite<u32>; 32]),
        (0x0300 => isactiver: [ReadWrite<u32>; 32]),
        (0x0380 => icactiver: [ReadWrite<u32>; 32]),
        (0x0400 => ipriorityr: [ReadWrite<u32>; 255]),
        (0x07fc => _reserved1),
        (0x0c00 => icfgr: [ReadWrite<u32>; 64]),
        (0x0d00 => igrpmodr: [ReadWrite<u32>; 32]),
        (0x0d80 => _reserved2),
        (0x6100 => irouter: [ReadWrite<u64>; 988]),
        (0x7fe0 => _reserved3),
        (0xffe8 => pidr2: ReadOnly<u32>),
        (0xffec => @END),
    }
}

register_structs! {
    /// A redistributor's control frame (RD_base), 64 KiB.
    pub GicrRdRegs {
        (0x0000 => ctlr: ReadWrite<u32>),
        (0x0004 => iidr: ReadOnly<u32>),
        (0x0008 => typer: ReadOnly<u64, GICR_TYPER::Register>),
        (0x0010 => statusr: ReadWrite<u32>),
        (0x0014 => waker: ReadWrite<u32, GICR_WAKER::Register>),
        (0x0018 => _reserved0),
        (0x10000 => @END),
    }
}

register_structs! {
    /// A redistributor's SGI/PPI frame (SGI_base), 64 KiB after RD_base.
    pub GicrSgiRegs {
        (0x0000 => _reserved0),
        (0x0080 => igroupr0: ReadWrite<u32>),
        (0x0084 => _reserved1),
        (0x0100 => isenabler0: ReadWrite<u32>),
        (0x0104 => _reserved2),
        (0x0180 => icenabler0: ReadWrite<u32>),
        (0x0184 => _reserved3),
        (0x0280 => icpendr0: ReadWrite<u32>),
        (0x0284 => _reserved4),
        (0x0380 => icactiver0: ReadWrite<u32>),
        (0x0384 => _reserved5),
        (0x0400 => ipriorityr: [ReadWrite<u32>; 8]),
        (0x0420 => _reserved6),
        (0x0c00 => icfgr0: ReadWrite<u32>),
        (0x0c04 => icfgr1: ReadWrite<u32>),
        (0x0c08 => _reserved7),
        (0x0d00 => igrpmodr0: ReadWrite<u32>),
        (0x0d04 => _reserved8),
        (0x10000 => @END),
    }
}

/// Priority of the interrupts the kernel handles itself.
pub const KERNEL_PRIORITY: u8 = 0x80;
/// Interrupts numbered at or above this are special (1020–1023).
const SPECIAL_INTID: u32 = 1020;
const FRAME_STRIDE: usize = 0x2_0000;
const FRAME_STRIDE_VLPI: usize = 0x4_0000;
/// Bounded spin for register-write-pending and wake-up handshakes.
const HANDSHAKE_SPINS: u32 = 1_000_000;

/// Why the GIC could not be brought up.
#[derive(Debug, Clone, Copy)]
pub enum GicError {
    /// The distributor is not a GICv3 or v4 (PIDR2.ArchRev).
    NotGicV3(u32),
    /// No redistributor frame carries this core's affinity.
    NoRedistributor(u64),
    /// The distributor or a redistributor did not finish a handshake.
    Timeout(&'static str),
}

impl core::fmt::Display for GicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GicError::NotGicV3(rev) => write!(f, "not a GICv3 (architecture revision {rev})"),
            GicError::NoRedistributor(mpidr) => write!(f, "no redistributor for MPIDR {mpidr:#x}"),
            GicError::Timeout(what) => write!(f, "timed out waiting for {what}"),
        }
    }
}

static DIST_VA: AtomicU64 = AtomicU64::new(0);
static REDIST_VA: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Redistributor regions from the device tree (physical base, size).
static REDIST_REGIONS: spin::Mutex<heapless::Vec<(u64, u64), 4>> =
    spin::Mutex::new(heapless::Vec::new());

fn dist() -> &'static GicdRegs {
    // SAFETY: DIST_VA is the linear-map address of the distributor window,
    // mapped as device memory by build_kernel_map before init_distributor
    // stores it; it is used only through these typed registers.
    unsafe { &*(DIST_VA.load(Ordering::Acquire) as *const GicdRegs) }
}

fn spin_until(mut done: impl FnMut() -> bool, what: &'static str) -> Result<(), GicError> {
    for _ in 0..HANDSHAKE_SPINS {
        if done() {
            return Ok(());
        }
        core::hint::spin_loop();
    }
    Err(GicError::Timeout(what))
}

/// Brings the distributor up: affinity routing, Group 1, every shared
/// interrupt disabled, Group 1, level-sensitive, at the lowest priority and
/// routed to the boot core until someone claims it.
pub fn init_distributor(dist_pa: u64, redists: &[(u64, u64)]) -> Result<(), GicError> {
    DIST_VA.store(boot_mmu::phys_to_virt(dist_pa), Ordering::Release);
    {
        let mut regions = REDIST_REGIONS.lock();
        regions.clear();
        for r in redists.iter().take(regions.capacity()) {
            let _ = regions.push(*r);
        }
    }
    let d = dist();
    let arch_rev = (d.pidr2.get() >> 4) & 0xf;
    if arch_rev != 3 && arch_rev != 4 {
        return Err(GicError::NotGicV3(arch_rev));
    }
    d.ctlr.set(0);
    spin_until(|| !d.ctlr.is_set(GICD_CTLR::RWP), "GICD_CTLR.RWP")?;
    let lines = ((d.typer.read(GICD_TYPER::IT_LINES_NUMBER) as usize) + 1) * 32;
    let words = (lines / 32).min(32);
    for i in 1..words {
        d.icenabler[i].set(u32::MAX);
        d.icpendr[i].set(u32::MAX);
        d.icactiver[i].set(u32::MAX);
        d.igroupr[i].set(u32::MAX);
        d.igrpmodr[i].set(0);
    }
    for i in 8..(words * 8).min(255) {
        d.ipriorityr[i].set(u32::MAX);
    }
    for i in 2..(words * 2).min(64) {
        d.icfgr[i].set(0);
    }
    spin_until(|| !d.ctlr.is_set(GICD_CTLR::RWP), "GICD_CTLR.RWP")?;
    d.ctlr
        .write(GICD_CTLR::ARE::SET + GICD_CTLR::ENABLE_GRP1::SET);
    spin_until(|| !d.ctlr.is_set(GICD_CTLR::RWP), "GICD_CTLR.RWP")?;
    Ok(())
}

/// The affinity value GICR_TYPER reports for a core with this MPIDR.
fn typer_affinity(mpidr: u64) -> u64 {
    let aff0_2 = mpidr & 0xff_ffff;
    let aff3 = (mpidr >> 32) & 0xff;
    (aff3 << 24) | aff0_2
}

/// Finds this core's redistributor by walking the frames of each region,
/// bounded by the region size and the Last bit.
fn find_redistributor(mpidr: u64) -> Option<u64> {
    let want = typer_affinity(mpidr);
    let regions = REDIST_REGIONS.lock();
    for &(base, size) in regions.iter() {
        let mut offset = 0u64;
        while offset + 2 * 0x1_0000 <= size {
            let va = boot_mmu::phys_to_virt(base + offset);
            // SAFETY: the frame lies inside a redistributor region that
            // build_kernel_map mapped as device memory.
            let rd = unsafe { &*(va as *const GicrRdRegs) };
            let typer = rd.typer.extract();
            if typer.read(GICR_TYPER::AFFINITY) == want {
                return Some(va);
            }
            if typer.is_set(GICR_TYPER::LAST) {
                break;
            }
            let stride = if typer.is_set(GICR_TYPER::VLPIS) {
                FRAME_STRIDE_VLPI
            } else {
                FRAME_STRIDE
            };
            offset += stride as u64;
        }
    }
    None
}

fn rd(core: usize) -> &'static GicrRdRegs {
    // SAFETY: set by init_this_cpu to this core's mapped RD_base frame.
    unsafe { &*(REDIST_VA[core].load(Ordering::Acquire) as *const GicrRdRegs) }
}

fn sgi(core: usize) -> &'static GicrSgiRegs {
    // SAFETY: SGI_base is the 64 KiB frame after RD_base, mapped with it.
    unsafe { &*((REDIST_VA[core].load(Ordering::Acquire) + 0x1_0000) as *const GicrSgiRegs) }
}

/// Wakes this core's redistributor, puts its SGIs and PPIs in Group 1,
/// disabled, and enables the system-register CPU interface.
pub fn init_this_cpu(core: usize, mpidr: u64) -> Result<(), GicError> {
    if core >= MAX_CPUS {
        return Err(GicError::NoRedistributor(mpidr));
    }
    let va = find_redistributor(mpidr).ok_or(GicError::NoRedistributor(mpidr))?;
    REDIST_VA[core].store(va, Ordering::Release);
    let r = rd(core);
    r.waker.modify(GICR_WAKER::PROCESSOR_SLEEP::CLEAR);
    spin_until(
        || !r.waker.is_set(GICR_WAKER::CHILDREN_ASLEEP),
        "GICR_WAKER.ChildrenAsleep",
    )?;
    let s = sgi(core);
    s.icenabler0.set(u32::MAX);
    s.icpendr0.set(u32::MAX);
    s.icactiver0.set(u32::MAX);
    s.igroupr0.set(u32::MAX);
    s.igrpmodr0.set(0);
    for p in s.ipriorityr.iter() {
        p.set(u32::MAX);
    }
    s.icfgr1.set(0);
    enable_private(core, RESCHEDULE_SGI, KERNEL_PRIORITY);
    // SAFETY: enabling the system-register interface at EL2 (and allowing EL1
    // to use its own) is the GICv3 programming model; the barrier makes the
    // enable take effect before the EL1 registers are written.
    unsafe {
        let sre = aarch64_cpu::registers::ICC_SRE_EL2.get() | 0b1001; // SRE | Enable
        aarch64_cpu::registers::ICC_SRE_EL2.set(sre);
        asm!("isb", options(nostack, preserves_flags));
        sysreg::write_icc_pmr_el1(0xf0);
        sysreg::write_icc_bpr1_el1(0);
        sysreg::write_icc_igrpen1_el1(1);
        asm!("isb", options(nostack, preserves_flags));
    }
    Ok(())
}

/// Enables private interrupt `intid` (16–31) on this core at `priority`,
/// level-sensitive.
pub fn enable_ppi(core: usize, intid: u32, priority: u8) {
    if (16..32).contains(&intid) {
        enable_private(core, intid, priority);
    }
}

/// Enables SGI or PPI `intid` (0–31) on `core` at `priority`.
fn enable_private(core: usize, intid: u32, priority: u8) {
    if intid >= 32 || core >= MAX_CPUS {
        return;
    }
    let s = sgi(core);
    let reg = &s.ipriorityr[(intid / 4) as usize];
    let shift = (intid % 4) * 8;
    reg.set((reg.get() & !(0xff << shift)) | (u32::from(priority) << shift));
    s.isenabler0.set(1 << intid);
}

/// Sets private interrupt `intid` (16–31) of `core` level-sensitive at the
/// priority user-level interrupts have; it stays masked.
pub fn configure_ppi(core: usize, intid: u32) {
    if (16..32).contains(&intid) && core < MAX_CPUS {
        enable_private(core, intid, USER_PRIORITY);
        mask_ppi(core, intid);
    }
}

/// Masks private interrupt `intid` (16–31) of `core`. Any core may do
/// this: each core's redistributor is memory-mapped for all.
pub fn mask_ppi(core: usize, intid: u32) {
    if (16..32).contains(&intid) && core < MAX_CPUS {
        sgi(core).icenabler0.set(1 << intid);
    }
}

/// Unmasks private interrupt `intid` (16–31) of `core`.
pub fn unmask_ppi(core: usize, intid: u32) {
    if (16..32).contains(&intid) && core < MAX_CPUS {
        sgi(core).isenabler0.set(1 << intid);
    }
}

/// The first shared peripheral interrupt (SPI).
pub const FIRST_SPI: u32 = 32;

/// One past the last interrupt line the distributor implements.
pub fn line_count() -> u32 {
    let lines = (dist().typer.read(GICD_TYPER::IT_LINES_NUMBER) + 1) * 32;
    lines.min(1020)
}

/// Index and bit of `intid` in the one-bit-per-line register arrays.
fn word_bit(intid: u32) -> (usize, u32) {
    ((intid / 32) as usize, 1 << (intid % 32))
}

/// Masks shared interrupt `intid` (the caller checked it is an SPI that
/// exists).
pub fn mask_spi(intid: u32) {
    let (w, b) = word_bit(intid);
    if let Some(r) = dist().icenabler.get(w) {
        r.set(b);
    }
}

/// Unmasks shared interrupt `intid`.
pub fn unmask_spi(intid: u32) {
    let (w, b) = word_bit(intid);
    if let Some(r) = dist().isenabler.get(w) {
        r.set(b);
    }
}

/// Sets shared interrupt `intid` pending, as if its device raised it (test
/// kernels only).
#[cfg(feature = "test-hooks")]
pub fn set_pending_spi(intid: u32) {
    let (w, b) = word_bit(intid);
    if let Some(r) = dist().ispendr.get(w) {
        r.set(b);
    }
}

/// Configures shared interrupt `intid`: edge- or level-triggered, routed to
/// the core `mpidr`, at the priority user-level interrupts have. It stays
/// masked.
pub fn configure_spi(intid: u32, edge: bool, mpidr: u64) {
    mask_spi(intid);
    let d = dist();
    let (reg, shift) = ((intid / 16) as usize, (intid % 16) * 2 + 1);
    if let Some(r) = d.icfgr.get(reg) {
        let bit = 1 << shift;
        r.set(if edge { r.get() | bit } else { r.get() & !bit });
    }
    if let Some(r) = d.ipriorityr.get((intid / 4) as usize) {
        let shift = (intid % 4) * 8;
        r.set((r.get() & !(0xff << shift)) | (u32::from(USER_PRIORITY) << shift));
    }
    let affinity = (mpidr & 0xff_00ff_ffff) & !(1 << 31);
    if let Some(r) = d.irouter.get((intid - FIRST_SPI) as usize) {
        r.set(affinity);
    }
}

/// Priority of the interrupts user level handles (below the kernel's).
pub const USER_PRIORITY: u8 = 0xa0;

/// The SGI the kernel uses to make another core reschedule.
pub const RESCHEDULE_SGI: u32 = 0;

/// Sends software-generated interrupt `sgi` (0–15) to the core `mpidr`.
pub fn send_sgi(mpidr: u64, sgi: u32) {
    let aff0 = mpidr & 0xff;
    if aff0 >= 16 || sgi >= 16 {
        // Target lists cover Aff0 0–15 (RS = 0); QEMU's virt numbers cores
        // 0.. in Aff0.
        return;
    }
    let value = ((mpidr >> 32) & 0xff) << 48
        | ((mpidr >> 16) & 0xff) << 32
        | ((mpidr >> 8) & 0xff) << 16
        | u64::from(sgi) << 24
        | 1 << aff0;
    // SAFETY: generating an SGI only makes the target core take an
    // interrupt the kernel handles; the DSB orders the memory writes it is
    // meant to announce before it.
    unsafe {
        asm!("dsb ishst", "msr icc_sgi1r_el1, {}", "isb", in(reg) value, options(nostack, preserves_flags))
    };
}

/// Acknowledges the highest-priority pending Group 1 interrupt; None when
/// nothing is pending (a special INTID).
pub fn acknowledge() -> Option<u32> {
    let iar: u64;
    // SAFETY: reading ICC_IAR1_EL1 acknowledges an interrupt, which the
    // caller then ends with end_of_interrupt.
    unsafe { asm!("mrs {}, icc_iar1_el1", out(reg) iar, options(nostack, preserves_flags)) };
    let intid = (iar & 0xff_ffff) as u32;
    (intid < SPECIAL_INTID).then_some(intid)
}

/// Drops the running priority and deactivates `intid` (EOImode 0).
pub fn end_of_interrupt(intid: u32) {
    // SAFETY: ends an interrupt this core acknowledged.
    unsafe {
        asm!("msr icc_eoir1_el1, {}", in(reg) u64::from(intid), options(nostack, preserves_flags))
    };
}
