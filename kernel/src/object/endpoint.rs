//! Endpoints: a queue of threads waiting to send or to receive.

use super::object_ptr;
use super::tcb::{Tcb, ThreadState};
use crate::{msg, sched};

/// What an endpoint's queue holds.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum QueueState {
    Idle = 0,
    Sending = 1,
    Receiving = 2,
}

/// An endpoint object (32 bytes; zeroed memory is an idle endpoint).
#[repr(C)]
pub struct Endpoint {
    pub head: u64,
    pub tail: u64,
    pub state: u64,
    reserved: u64,
}

const _: () = assert!(core::mem::size_of::<Endpoint>() <= 32);

pub fn get(ep: u64) -> &'static mut Endpoint {
    // SAFETY: callers pass the address of a live endpoint (from a
    // capability or a blocked thread's `blocked_on`); under the kernel lock.
    unsafe { &mut *object_ptr::<Endpoint>(ep) }
}

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: queue links only hold live TCBs (a TCB leaves its queue
    // before it is destroyed); under the kernel lock.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

pub fn state(ep: u64) -> QueueState {
    match get(ep).state {
        1 => QueueState::Sending,
        2 => QueueState::Receiving,
        _ => QueueState::Idle,
    }
}

/// Appends `thread` to the queue, which holds `kind` (or is empty).
pub fn enqueue(ep: u64, thread: u64, kind: QueueState) {
    let e = get(ep);
    let t = tcb(thread);
    t.ep_prev = e.tail;
    t.ep_next = 0;
    t.blocked_on = ep;
    if e.tail == 0 {
        e.head = thread;
    } else {
        tcb(e.tail).ep_next = thread;
    }
    e.tail = thread;
    e.state = kind as u64;
}

/// Takes `thread` out of the queue.
pub fn dequeue(ep: u64, thread: u64) {
    if ep == 0 {
        return;
    }
    let e = get(ep);
    let t = tcb(thread);
    let (prev, next) = (t.ep_prev, t.ep_next);
    if prev == 0 {
        e.head = next;
    } else {
        tcb(prev).ep_next = next;
    }
    if next == 0 {
        e.tail = prev;
    } else {
        tcb(next).ep_prev = prev;
    }
    t.ep_prev = 0;
    t.ep_next = 0;
    t.blocked_on = 0;
    if e.head == 0 {
        e.state = QueueState::Idle as u64;
    }
}

/// Takes the first thread out of the queue.
pub fn pop(ep: u64) -> Option<u64> {
    let head = get(ep).head;
    if head == 0 {
        return None;
    }
    dequeue(ep, head);
    Some(head)
}

/// Wakes every thread queued on a destroyed endpoint: each one's system
/// call fails with InvalidCapability. Bounded by the number of threads.
pub fn cancel_all(ep: u64) {
    while let Some(thread) = pop(ep) {
        let t = tcb(thread);
        msg::reply_error(t, super::delete::object_gone());
        t.state = ThreadState::Running;
        sched::make_ready(thread);
    }
}

/// Wakes the threads blocked sending on `ep` with `badge`: each one's
/// system call fails with InvalidCapability. Bounded by the queue length.
pub fn cancel_badged(ep: u64, badge: u64) {
    if state(ep) != QueueState::Sending {
        return;
    }
    let mut next = get(ep).head;
    while next != 0 {
        let thread = next;
        next = tcb(thread).ep_next;
        if tcb(thread).ipc_badge == badge {
            dequeue(ep, thread);
            let t = tcb(thread);
            msg::reply_error(t, super::delete::object_gone());
            t.state = ThreadState::Running;
            sched::make_ready(thread);
        }
    }
}
