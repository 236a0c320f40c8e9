//! The timed windows: a read of the PMU cycle counter (PMCCNTR_EL0, opened
//! to EL0 by test kernels) and a system call in one block of inline
//! assembly, so the compiler can put nothing between them.
//!
//! Every read is `isb` then `mrs xN, pmccntr_el0`. The `isb` makes the read
//! wait until every earlier instruction has completed, so on hardware an
//! instruction still in flight cannot fall on the wrong side of the
//! timestamp. (sel4bench reads with a bare `mrs`; see below for what the
//! `isb` costs in comparison.)
//! Under QEMU's `-icount shift=0` the counter is the number of executed
//! instructions, so a window's value is the number of instructions from
//! one read to the next (one of the two `mrs` included). The `isb` before
//! the opening read executes before it and costs the window nothing; the
//! one before the closing read, after the kernel returns, adds exactly 1.
//! The kernel's `eret` is itself context-synchronising, so that second
//! `isb` is a choice for symmetry with the opening read, not a necessity;
//! it makes each figure 1 larger than a bare `mrs` would.
//!
//! The system-call registers are loaded by the compiler before the block
//! starts: x7 the number, x0 (and x6, as `tessera-rt` does for receive-side
//! calls) the capability, x1 the message info 0 (label 0, length 0, no
//! capabilities), so no IPC-buffer word is read or written. A timed window
//! therefore holds: the `svc`, everything the kernel executes from its
//! vector to its `eret` (and, for IPC, the switch to the other thread),
//! then the `isb` before the closing read.
//!
//! The timestamps are kept in registers the kernel preserves (x0–x7 are
//! named operands, so the allocator never picks them for the timestamps);
//! callers store them to memory only after the block, outside every
//! window.

use tessera_rt::abi::{CPtr, Syscall};

/// The message-info word of an empty message: label 0, length 0, no caps.
pub const EMPTY_MESSAGE: u64 = 0;

/// What a timed system call gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamped {
    /// The counter right before the `svc` (0 for [`recv_then_stamp`]).
    pub before: u64,
    /// The counter right after the kernel returned.
    pub after: u64,
    /// x0 as returned: the badge on receives.
    pub badge: u64,
    /// x1 as returned: the message info (0: an empty message, label 0).
    pub info: u64,
}

/// Reads the cycle counter (after an `isb`).
#[inline(always)]
pub fn now() -> u64 {
    let value: u64;
    #[cfg(target_arch = "aarch64")]
    // SAFETY: test kernels let EL0 read PMCCNTR_EL0 (PMUSERENR_EL0.CR); the
    // read has no side effects.
    unsafe {
        core::arch::asm!(
            "isb",
            "mrs {value}, pmccntr_el0",
            value = out(reg) value,
            options(nomem, nostack, preserves_flags),
        );
    }
    #[cfg(not(target_arch = "aarch64"))]
    {
        value = 0;
    }
    value
}

/// Defines the two timed system calls for one clock register (the PMU
/// cycle counter for one-core windows, the system counter for windows
/// that start on one core and end on another).
macro_rules! timed_calls {
    ($around:ident, $recv_then:ident, $clock:literal) => {
        /// `isb; mrs before; svc #0; isb; mrs after` with system call `call`
        /// on `cap` and an empty message; the clock is
        #[doc = concat!("`", $clock, "`.")]
        #[inline(always)]
        pub fn $around(call: Syscall, cap: CPtr) -> Stamped {
            let (before, after, badge, info): (u64, u64, u64, u64);
            #[cfg(target_arch = "aarch64")]
            // SAFETY: a system call changes only x0–x7 (all declared: x0/x1
            // as outputs, x2–x7 clobbered) and the memory the kernel or
            // another thread may write (no `nomem`, so the compiler assumes
            // it changed). The timestamps live in registers other than
            // x0–x7, which the kernel restores on return.
            unsafe {
                core::arch::asm!(
                    "isb",
                    concat!("mrs {before}, ", $clock),
                    "svc #0",
                    "isb",
                    concat!("mrs {after}, ", $clock),
                    before = out(reg) before,
                    after = out(reg) after,
                    inlateout("x0") cap => badge,
                    inlateout("x1") EMPTY_MESSAGE => info,
                    lateout("x2") _,
                    lateout("x3") _,
                    lateout("x4") _,
                    lateout("x5") _,
                    inlateout("x6") cap => _,
                    inlateout("x7") call as u64 => _,
                    options(nostack),
                );
            }
            #[cfg(not(target_arch = "aarch64"))]
            {
                (before, after, badge, info) = (0, 0, cap, call as u64);
            }
            Stamped {
                before,
                after,
                badge,
                info,
            }
        }

        /// `svc #0; isb; mrs after` for a `Recv` on `cap`: a wait that only
        /// ends a window; the clock is
        #[doc = concat!("`", $clock, "`.")]
        #[inline(always)]
        pub fn $recv_then(cap: CPtr) -> Stamped {
            let (after, badge, info): (u64, u64, u64);
            #[cfg(target_arch = "aarch64")]
            // SAFETY: as for the timed call above.
            unsafe {
                core::arch::asm!(
                    "svc #0",
                    "isb",
                    concat!("mrs {after}, ", $clock),
                    after = out(reg) after,
                    inlateout("x0") cap => badge,
                    inlateout("x1") EMPTY_MESSAGE => info,
                    lateout("x2") _,
                    lateout("x3") _,
                    lateout("x4") _,
                    lateout("x5") _,
                    inlateout("x6") cap => _,
                    inlateout("x7") Syscall::Recv as u64 => _,
                    options(nostack),
                );
            }
            #[cfg(not(target_arch = "aarch64"))]
            {
                (after, badge, info) = (0, cap, 0);
            }
            Stamped {
                before: 0,
                after,
                badge,
                info,
            }
        }
    };
}

timed_calls!(stamp_around, recv_then_stamp, "pmccntr_el0");
timed_calls!(counter_around, recv_then_counter, "cntvct_el0");
