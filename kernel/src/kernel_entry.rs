//! Kernel entries from user level and the way back: every exception taken
//! from EL0 lands in [`handle_user_entry`] (or, for Call and ReplyRecv, in
//! a fastpath handler first) with the thread's registers already saved in
//! its TCB, and every path out goes through [`run`] (after the scheduler
//! in [`return_to_user`]) or the fastpath's equivalent, which restore.

use aarch64_cpu::registers::{ESR_EL2, FAR_EL2, Readable};

use crate::arch::aarch64::context::{UserRegs, restore_user};
use crate::arch::aarch64::vectors::VectorKind;
use crate::arch::aarch64::{cpu, fpu, percore, vspace};
use crate::object::object_ptr;
use crate::object::tcb::Tcb;
use crate::{fastpath, fault, irq, klock, sched, syscall};

/// ESR_EL2 exception classes the kernel handles from EL0.
mod ec {
    pub const FP_ACCESS: u64 = 0x07;
    pub const SVC64: u64 = 0x15;
    pub const INSTRUCTION_ABORT_LOWER: u64 = 0x20;
    pub const DATA_ABORT_LOWER: u64 = 0x24;
}

/// Called by the vectors for every exception from EL0 that no fastpath
/// handler takes (Call: `fastpath/call.rs`; ReplyRecv: [`handle_reply_recv`]).
pub extern "C" fn handle_user_entry(slot: u64) -> ! {
    let (core, current) = enter();
    dispatch(slot, core, current)
}

/// Called by the vectors for an SVC with ReplyRecv in x7: the IPC fastpath,
/// or the slow path when the fastpath declines. (Call has its fastpath in
/// assembly: `fastpath/call.rs`.)
pub extern "C" fn handle_reply_recv(_regs: *mut UserRegs) -> ! {
    let (core, current) = enter();
    if fastpath::enabled() {
        fastpath::reply_recv(core, current);
    }
    slow_path(core, current)
}

/// The fastpath declined an SVC: the general path takes it. A jump, so the
/// handlers above make no call (see [`run_in_space`]).
#[inline(always)]
fn slow_path(core: usize, current: u64) -> ! {
    // SAFETY: `dispatch` is an `extern "C"` function that never returns,
    // called with its three arguments in x0–x2 on this core's kernel stack
    // as a call would be; the lock is held, as it expects.
    unsafe {
        core::arch::asm!(
            "b {dispatch}",
            dispatch = sym dispatch,
            in("x0") VectorKind::Lower64Sync as u64,
            in("x1") core,
            in("x2") current,
            options(noreturn, nostack),
        )
    }
}

/// The start of every entry from EL0: this core's index and current thread,
/// with the kernel lock held.
#[inline(always)]
fn enter() -> (usize, u64) {
    // The thread's registers are saved: another core that stops it may
    // reuse its TCB from now on.
    percore::leave_user();
    klock::acquire();
    (percore::core_index(), sched::current_here())
}

/// The general handling of an entry from EL0, once [`enter`] is done.
/// `extern "C"` so the fastpath's handlers can jump to it.
#[inline(never)]
pub extern "C" fn dispatch(slot: u64, core: usize, current: u64) -> ! {
    match VectorKind::from_slot(slot) {
        Some(VectorKind::Lower64Sync) => handle_sync(core, current),
        Some(VectorKind::Lower64Irq) => irq::handle_pending(core),
        _ => {
            // FIQ, SError, or anything from AArch32 (which no thread can
            // enter: the kernel only gives threads an AArch64 EL0 SPSR).
            fault::deliver(current, fault::Fault::UserException { esr: ESR_EL2.get() });
        }
    }
    return_to_user(core)
}

fn handle_sync(core: usize, current: u64) {
    let esr = ESR_EL2.get();
    match (esr >> 26) & 0x3f {
        ec::SVC64 => syscall::handle(core, current),
        ec::FP_ACCESS => switch_fpu(current),
        ec::INSTRUCTION_ABORT_LOWER | ec::DATA_ABORT_LOWER => {
            let instruction = (esr >> 26) & 0x3f == ec::INSTRUCTION_ABORT_LOWER;
            fault::deliver(
                current,
                fault::Fault::Vm {
                    address: FAR_EL2.get(),
                    esr,
                    instruction,
                },
            );
        }
        _ => fault::deliver(current, fault::Fault::UserException { esr }),
    }
}

fn switch_fpu(current: u64) {
    // SAFETY: under the kernel lock, for this path only.
    let core = unsafe { percore::this() };
    let owner = core.fpu_owner;
    // SAFETY: `current` and a recorded owner are live TCBs (a TCB is
    // forgotten as owner before it is destroyed); the FP areas are disjoint
    // fields of distinct TCBs, or the same when owner == current, in which
    // case nothing is saved.
    unsafe {
        let save = (owner != 0 && owner != current)
            .then(|| core::ptr::addr_of_mut!((*object_ptr::<Tcb>(owner)).fpu));
        let load = core::ptr::addr_of!((*object_ptr::<Tcb>(current)).fpu);
        fpu::switch_owner(core, current, save, load);
    }
}

/// Runs the thread the scheduler picks on this core, or idles until there
/// is one. The kernel lock is held on entry and released on the way out.
pub fn return_to_user(core: usize) -> ! {
    loop {
        let next = sched::choose(core);
        if next != 0 {
            run(next);
        }
        idle_until_interrupt(core);
    }
}

/// Returns to user level in `thread`, the current thread of this core.
#[inline(always)]
pub fn run(thread: u64) -> ! {
    if !crate::object::tcb::space_is_current(thread) {
        // Its VSpace capability is gone: no address space (it faults).
        crate::object::tcb_ops::refresh_vspace(thread);
    }
    // SAFETY: `thread` is a live TCB.
    let ttbr0 = unsafe { (*object_ptr::<Tcb>(thread)).ttbr0 };
    run_in_space(thread, vspace::ttbr0_or_empty(ttbr0))
}

/// As [`run`], with the TTBR0 value to load (never 0): the fastpath's
/// threads have an address space, so it passes their own.
#[inline(always)]
pub fn run_in_space(thread: u64, ttbr0: u64) -> ! {
    // SAFETY: `thread` is a live, runnable TCB and this core's current
    // thread; its registers stay valid while it is current; the PerCore
    // reference is this core's own, under the kernel lock.
    unsafe {
        let core = percore::this();
        let t = object_ptr::<Tcb>(thread);
        vspace::activate(core, ttbr0);
        fpu::prepare(core, thread);
        let regs = core::ptr::addr_of_mut!((*t).regs);
        core.user_regs
            .store(regs, core::sync::atomic::Ordering::Release);
        // The registers are published: from here on other cores stall the
        // thread before they touch them, so the lock can go before the
        // restore (see `restore_user`).
        let stack_top = core.stack_top;
        klock::release();
        // A jump, not a call: nothing comes back, and with no call left in
        // them the fastpath's handlers need no stack frame at all.
        core::arch::asm!(
            "b {restore}",
            restore = sym restore_user,
            in("x0") regs,
            in("x1") stack_top,
            options(noreturn, nostack),
        )
    }
}

/// Waits with the lock released until an interrupt is pending, then handles
/// it under the lock. IRQs stay masked: WFI wakes on a pending interrupt
/// anyway, and the kernel polls the GIC.
fn idle_until_interrupt(core: usize) {
    klock::release();
    cpu::wait_for_interrupt();
    klock::acquire();
    irq::handle_pending(core);
}
