//! Notifications: a word of signal bits and a queue of waiting threads.

use super::object_ptr;
use super::tcb::{Tcb, ThreadState};
use crate::{msg, sched};

/// A notification object (64 bytes; zeroed memory is an idle one).
#[repr(C)]
pub struct Notification {
    /// Pending signal bits.
    pub word: u64,
    pub head: u64,
    pub tail: u64,
    /// The TCB bound to it (0 for none).
    pub bound: u64,
    /// Whether a signal is pending, apart from the word: a signal through
    /// an unbadged capability ORs in nothing, but must still not be lost
    /// (seL4's "active" state).
    pub active: u64,
}

const _: () = assert!(core::mem::size_of::<Notification>() <= 64);

pub fn get(n: u64) -> &'static mut Notification {
    // SAFETY: callers pass the address of a live notification; under the
    // kernel lock.
    unsafe { &mut *object_ptr::<Notification>(n) }
}

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: queue links and `bound` hold live TCBs only; under the kernel
    // lock.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// Delivers `word` to a thread that waited: x0 = the bits, empty message.
pub fn deliver(thread: u64, word: u64) {
    let t = tcb(thread);
    t.regs.x[0] = word;
    t.regs.x[1] = 0;
    t.state = ThreadState::Running;
    sched::make_ready(thread);
}

/// Signals: ORs `badge` into the word, or hands it to the first waiter,
/// or to the bound thread if it waits on an endpoint.
pub fn signal(n: u64, badge: u64) {
    let note = get(n);
    if note.head != 0 {
        let waiter = note.head;
        dequeue(n, waiter);
        deliver(waiter, note.word | badge);
        get(n).word = 0;
        get(n).active = 0;
        return;
    }
    let bound = note.bound;
    if bound != 0 && tcb(bound).state == ThreadState::BlockedOnReceive {
        super::endpoint::dequeue(tcb(bound).blocked_on, bound);
        deliver(bound, note.word | badge);
        get(n).word = 0;
        get(n).active = 0;
        return;
    }
    note.word |= badge;
    note.active = 1;
}

/// Waits: takes the pending bits if any (returns true), else queues
/// `thread` when `blocking` (or returns 0 bits at once).
pub fn wait(n: u64, thread: u64, blocking: bool) {
    let note = get(n);
    let t = tcb(thread);
    if note.active != 0 || !blocking {
        t.regs.x[0] = note.word;
        t.regs.x[1] = 0;
        note.word = 0;
        note.active = 0;
        return;
    }
    t.ep_prev = note.tail;
    t.ep_next = 0;
    t.blocked_on = n;
    if note.tail == 0 {
        note.head = thread;
    } else {
        tcb(note.tail).ep_next = thread;
    }
    note.tail = thread;
    t.state = ThreadState::BlockedOnNotification;
    sched::remove(thread);
}

/// Takes `thread` out of the waiting queue.
pub fn dequeue(n: u64, thread: u64) {
    if n == 0 {
        return;
    }
    let note = get(n);
    let t = tcb(thread);
    let (prev, next) = (t.ep_prev, t.ep_next);
    if prev == 0 {
        note.head = next;
    } else {
        tcb(prev).ep_next = next;
    }
    if next == 0 {
        note.tail = prev;
    } else {
        tcb(next).ep_prev = prev;
    }
    t.ep_prev = 0;
    t.ep_next = 0;
    t.blocked_on = 0;
}

/// Pending bits for a thread bound to `n` about to wait on an endpoint:
/// taken (and returned) if there are any.
pub fn take_pending(n: u64) -> Option<u64> {
    if n == 0 {
        return None;
    }
    let note = get(n);
    if note.active == 0 {
        return None;
    }
    note.active = 0;
    Some(core::mem::take(&mut note.word))
}

/// A destroyed notification: waiters fail, the bound thread is unbound.
pub fn destroy(n: u64) {
    while get(n).head != 0 {
        let waiter = get(n).head;
        dequeue(n, waiter);
        let t = tcb(waiter);
        msg::reply_error(t, super::delete::object_gone());
        t.state = ThreadState::Running;
        sched::make_ready(waiter);
    }
    let bound = get(n).bound;
    if bound != 0 {
        tcb(bound).bound_notification = 0;
    }
}
