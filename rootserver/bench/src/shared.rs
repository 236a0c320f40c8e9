//! The page the server reports its timestamps in: one 4 KiB frame mapped
//! read-write at [`SHARED_VA`] in both address spaces.
//!
//! # The exchange
//!
//! Messages are empty, so the server's timestamps travel through this page.
//! Round `i` is the client's `i`-th Call. In the server it looks like this
//! (registers shown as names):
//!
//! ```text
//!   svc (Recv, or ReplyRecv ending round i-1)
//!   isb; mrs call_end          <- ends round i's ipc_call window
//!   store round = i, call_end, replyrecv_start = rr_start   (between windows)
//!   isb; mrs rr_start          <- starts round i's ipc_replyrecv window
//!   svc (ReplyRecv)            ...returns in round i+1
//! ```
//!
//! Each timestamp stays in a register until the block of assembly has
//! returned from the kernel, and is stored after that, outside every
//! window: `call_end` right after it is read, `rr_start` (taken right
//! before the `svc`) after that `svc` has returned in the next round. The
//! client reads the page after each of its Calls returns, when the server
//! is blocked in ReplyRecv again (both threads are on one core, so the
//! server's stores are complete and visible). After Call `i` it finds
//! `call_end` of round `i` and `replyrecv_start` of round `i - 1`, pairs
//! the first with its own start of Call `i` and the second with its own
//! end of Call `i - 1`, kept from the previous round. `round` lets it check
//! that the pairing is right.
//!
//! [`Report::state`] tells the client whether the server reached its first
//! Recv or failed before it.

use core::ptr::{addr_of, addr_of_mut};

/// Where the page is mapped in the client and in the server: above the
/// user image (from 4 MiB) and the client's allocation window, below the
/// spawned program's stack (`tessera_rt::process::STACK_TOP`) and the
/// rootserver layout.
pub const SHARED_VA: u64 = 0x0000_0020_0000_0000;

/// [`Report::state`]: the server is about to make its first Recv.
pub const STATE_READY: u64 = 1;
/// [`Report::state`]: a receive returned something other than an empty
/// message with badge 0; `error_info` and `error_badge` hold it.
pub const STATE_FAILED: u64 = 2;

/// The page's layout.
#[repr(C)]
pub struct Report {
    /// 0 until the server runs, then [`STATE_READY`] or [`STATE_FAILED`].
    pub state: u64,
    /// The round the fields below belong to (1 for the first Call).
    pub round: u64,
    /// The server's counter right after the Recv or ReplyRecv that took
    /// this round's Call returned.
    pub call_end: u64,
    /// The server's counter right before the `svc` of the ReplyRecv that
    /// answered the previous round (0 in round 1).
    pub replyrecv_start: u64,
    /// What the failed receive returned in x1.
    pub error_info: u64,
    /// What the failed receive returned in x0.
    pub error_badge: u64,
}

/// A copy of the report's fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub state: u64,
    pub round: u64,
    pub call_end: u64,
    pub replyrecv_start: u64,
    pub error_info: u64,
    pub error_badge: u64,
}

fn report() -> *mut Report {
    SHARED_VA as *mut Report
}

/// Reads the whole report.
pub fn read() -> Snapshot {
    let r = report();
    // SAFETY: the page is mapped read-write at SHARED_VA in both threads'
    // address spaces before the server starts; the two threads share one
    // core and never run at the same time, and every access is volatile
    // and word-sized.
    unsafe {
        Snapshot {
            state: addr_of!((*r).state).read_volatile(),
            round: addr_of!((*r).round).read_volatile(),
            call_end: addr_of!((*r).call_end).read_volatile(),
            replyrecv_start: addr_of!((*r).replyrecv_start).read_volatile(),
            error_info: addr_of!((*r).error_info).read_volatile(),
            error_badge: addr_of!((*r).error_badge).read_volatile(),
        }
    }
}

/// Server: records the timestamps of `round`.
#[inline(always)]
pub fn publish(round: u64, call_end: u64, replyrecv_start: u64) {
    let r = report();
    // SAFETY: as in `read`.
    unsafe {
        addr_of_mut!((*r).call_end).write_volatile(call_end);
        addr_of_mut!((*r).replyrecv_start).write_volatile(replyrecv_start);
        addr_of_mut!((*r).round).write_volatile(round);
    }
}

/// Server: sets the state (and what a failed receive returned).
pub fn set_state(state: u64, info: u64, badge: u64) {
    let r = report();
    // SAFETY: as in `read`.
    unsafe {
        addr_of_mut!((*r).error_info).write_volatile(info);
        addr_of_mut!((*r).error_badge).write_volatile(badge);
        addr_of_mut!((*r).state).write_volatile(state);
    }
}
