//! PSCI calls to the firmware (or, on QEMU, the emulated firmware): starting
//! cores and switching the machine off.
//!
//! The kernel runs at EL2, so only the SMC conduit reaches firmware; an HVC
//! from EL2 would trap to the kernel itself.

use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

const PSCI_VERSION: u32 = 0x8400_0000;
const CPU_ON_64: u32 = 0xc400_0003;
const SYSTEM_OFF: u32 = 0x8400_0008;

/// A PSCI error return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsciError {
    NotSupported,
    InvalidParameters,
    Denied,
    AlreadyOn,
    OnPending,
    InternalFailure,
    NotPresent,
    Disabled,
    InvalidAddress,
    /// No usable conduit (none in the device tree, or HVC at EL2).
    NoConduit,
    Unknown(i64),
}

impl PsciError {
    fn from_return(ret: i64) -> Result<(), PsciError> {
        Err(match ret {
            0 => return Ok(()),
            -1 => PsciError::NotSupported,
            -2 => PsciError::InvalidParameters,
            -3 => PsciError::Denied,
            -4 => PsciError::AlreadyOn,
            -5 => PsciError::OnPending,
            -6 => PsciError::InternalFailure,
            -7 => PsciError::NotPresent,
            -8 => PsciError::Disabled,
            -9 => PsciError::InvalidAddress,
            other => PsciError::Unknown(other),
        })
    }
}

/// Function id of CPU_ON: the standard one, or PSCI 0.1's from the tree.
static CPU_ON_ID: AtomicU32 = AtomicU32::new(0);
/// 0 until `init` found an SMC conduit.
static USABLE: AtomicU32 = AtomicU32::new(0);

/// Selects the conduit from the device tree's `/psci` node.
pub fn init(psci: Option<&tessera_devtree::Psci>) -> Result<(), PsciError> {
    let psci = psci.ok_or(PsciError::NoConduit)?;
    if psci.conduit != tessera_devtree::Conduit::Smc {
        return Err(PsciError::NoConduit);
    }
    let cpu_on = match psci.version {
        tessera_devtree::PsciVersion::V0_1 => psci.cpu_on.ok_or(PsciError::NotSupported)?,
        _ => CPU_ON_64,
    };
    CPU_ON_ID.store(cpu_on, Ordering::Relaxed);
    USABLE.store(1, Ordering::Release);
    Ok(())
}

fn smc(function: u32, a1: u64, a2: u64, a3: u64) -> i64 {
    let ret: i64;
    // SAFETY: an SMC Calling Convention call; PSCI clobbers at most x0–x17
    // and returns in x0, as declared.
    unsafe {
        asm!("smc #0",
            inlateout("x0") u64::from(function) => ret,
            inlateout("x1") a1 => _, inlateout("x2") a2 => _, inlateout("x3") a3 => _,
            out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _,
            out("x16") _, out("x17") _,
            options(nostack));
    }
    ret
}

fn usable() -> bool {
    USABLE.load(Ordering::Acquire) != 0
}

/// PSCI_VERSION as (major, minor), if a conduit is known.
pub fn version() -> Option<(u16, u16)> {
    if !usable() {
        return None;
    }
    let v = smc(PSCI_VERSION, 0, 0, 0);
    (v >= 0).then_some(((v >> 16) as u16, v as u16))
}

/// Starts the core `mpidr` at physical address `entry` with x0 = `context`.
pub fn cpu_on(mpidr: u64, entry: u64, context: u64) -> Result<(), PsciError> {
    if !usable() {
        return Err(PsciError::NoConduit);
    }
    PsciError::from_return(smc(
        CPU_ON_ID.load(Ordering::Relaxed),
        mpidr,
        entry,
        context,
    ))
}

/// Switches the machine off; on QEMU this ends the emulator with status 0.
/// Parks the core if firmware returns.
pub fn system_off() -> ! {
    if usable() {
        smc(SYSTEM_OFF, 0, 0, 0);
    }
    super::cpu::park()
}
