//! Per-core kernel data, found through TPIDR_EL2.
//!
//! The vectors read `user_regs` from here to save a user thread's registers
//! straight into its TCB, and `stack_top` to start every kernel entry on an
//! empty stack.

use core::mem::offset_of;
use core::ptr::addr_of;
use core::sync::atomic::{AtomicPtr, Ordering};

use super::smp::{MAX_CPUS, STACK_SIZE, STACKS};
use super::sysreg;
use crate::arch::aarch64::context::UserRegs;

/// One core's data. 64 bytes, so cores do not share cache lines.
#[repr(C, align(64))]
pub struct PerCore {
    /// Where the thread this core runs at user level has its registers
    /// saved on entry from EL0, or null while the core is in the kernel:
    /// set on the way out, cleared first thing on entry, once the
    /// registers are saved. Another core that stops this core's thread
    /// waits for it to be null, so the thread's TCB is never written after
    /// it is gone. (First in the struct: a store-release needs a bare base
    /// register, and this saves the address computation on every entry.)
    pub user_regs: AtomicPtr<UserRegs>,
    /// The top of this core's kernel stack.
    pub stack_top: u64,
    /// TTBR0_EL2 as last loaded on this core.
    pub ttbr0: u64,
    /// CPTR_EL2 as last written (0: not yet).
    pub cptr: u64,
    /// The thread whose FP/SIMD state is in this core's registers (TCB
    /// address, 0 for none).
    pub fpu_owner: u64,
    /// This core's index.
    pub index: u32,
    /// The address of this core's scheduler queues (`sched::init_this_core`),
    /// so the fastpath finds them with one load.
    pub sched_queues: u64,
    /// Whether the IPC fastpath is on (the same on every core; kept here
    /// so the fastpath's first test is one load from this struct).
    pub fastpath: bool,
}

/// Offsets the assembly uses.
pub const USER_REGS_OFFSET: usize = offset_of!(PerCore, user_regs);

const _: () = assert!(core::mem::size_of::<PerCore>() == 64);

/// One per core; head.rs points TPIDR_EL2 at the core's own.
pub static mut PER_CORE: [PerCore; MAX_CPUS] = [const {
    PerCore {
        user_regs: AtomicPtr::new(core::ptr::null_mut()),
        stack_top: 0,
        ttbr0: 0,
        cptr: 0,
        fpu_owner: 0,
        index: 0,
        sched_queues: 0,
        fastpath: true,
    }
}; MAX_CPUS];

/// This core's index (recorded by `init_this_core`).
#[inline(always)]
pub fn core_index() -> usize {
    // SAFETY: TPIDR_EL2 points at this core's PerCore from entry on.
    unsafe { (*this_core()).index as usize }
}

/// This core's data, for the kernel paths that use several fields.
///
/// # Safety
/// The caller holds the kernel lock or touches only this core's own
/// fields, and keeps the reference for one kernel path.
#[inline]
pub unsafe fn this() -> &'static mut PerCore {
    // SAFETY: the caller's contract; TPIDR_EL2 points at this core's entry.
    unsafe { &mut *this_core() }
}

/// Core `core`'s data (for reading another core's FP owner).
///
/// # Safety
/// As for [`this`].
pub unsafe fn of(core: usize) -> &'static mut PerCore {
    // SAFETY: the caller's contract; the index is reduced into range.
    unsafe { &mut *core::ptr::addr_of_mut!(PER_CORE[core % MAX_CPUS]) }
}

/// This core's data.
#[inline(always)]
pub fn this_core() -> *mut PerCore {
    sysreg::read_tpidr_el2() as *mut PerCore
}

/// Fills in this core's stack top; called once per core at entry.
pub fn init_this_core() {
    let base = addr_of!(PER_CORE) as u64;
    let core =
        sysreg::read_tpidr_el2().wrapping_sub(base) as usize / core::mem::size_of::<PerCore>();
    // SAFETY: each core writes only its own entry, before any user thread
    // runs on it; the stack address is only computed.
    unsafe {
        let top = addr_of!(STACKS.0[core]) as u64 + STACK_SIZE as u64;
        (*this_core()).stack_top = top;
        (*this_core()).index = core as u32;
    }
}

fn core_data(core: usize) -> *const PerCore {
    // SAFETY: only the address is computed; index checked by the callers.
    unsafe { core::ptr::addr_of!(PER_CORE[core % MAX_CPUS]) }
}

/// Marks this core as in the kernel (first thing on entry, once the
/// vectors have saved the thread's registers).
#[inline(always)]
pub fn leave_user() {
    // SAFETY: this core's own entry; the pointer is atomic for other
    // readers.
    unsafe {
        (*this_core())
            .user_regs
            .store(core::ptr::null_mut(), Ordering::Release)
    };
}

/// Turns the IPC fastpath on or off on every core (at boot, before any
/// secondary core runs a thread).
pub fn set_fastpath(on: bool) {
    // SAFETY: plain stores into each entry while no thread runs; the cores
    // read the flag only on entries from EL0, which come later.
    let cores = unsafe { &mut *core::ptr::addr_of_mut!(PER_CORE) };
    for core in cores {
        core.fastpath = on;
    }
}

/// Whether the IPC fastpath is on (read on this core's entry path).
#[inline(always)]
pub fn fastpath_on() -> bool {
    // SAFETY: this core's own entry, written only at boot.
    unsafe { (*this_core()).fastpath }
}

/// The TTBR0_EL2 value `core` last loaded (read under the kernel lock,
/// which every write happens under).
pub fn ttbr0_of(core: usize) -> u64 {
    // SAFETY: a plain read of another core's entry under the kernel lock.
    unsafe { (*core_data(core)).ttbr0 }
}

/// Whether `core` is running a user thread.
pub fn in_user(core: usize) -> bool {
    // SAFETY: an atomic read of another core's entry.
    unsafe {
        !(*core_data(core))
            .user_regs
            .load(Ordering::Acquire)
            .is_null()
    }
}
