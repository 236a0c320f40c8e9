//! Synchronous IPC through endpoints, and replies.
//!
//! A message is copied from sender to receiver at the moment both are
//! there: message registers (x2–x5, then the IPC buffers), the sender's
//! badge (in the receiver's x0) and, with Grant, one capability.

use tessera_abi::MessageInfo;
use tessera_caps::{Cap, SlotStore, derive, mdb};

use crate::object::cnode::KernelSlots;
use crate::object::endpoint::{self, QueueState};
use crate::object::tcb::{self, PendingFault, Tcb, ThreadState};
use crate::object::{delete, notification, object_ptr};
use crate::{cspace, fault, msg, sched};

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: callers pass live TCBs (the current thread, or threads taken
    // from endpoint queues or reply caps, which only hold live ones); the
    // kernel lock is held and callers never hold two references to one TCB.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// How a sender sends.
#[derive(Clone, Copy)]
pub struct SendArgs {
    pub badge: u64,
    pub can_grant: bool,
    pub can_grant_reply: bool,
    pub is_call: bool,
    pub blocking: bool,
}

/// `thread` sends on endpoint `ep`.
pub fn send(thread: u64, ep: u64, args: SendArgs) {
    if endpoint::state(ep) == QueueState::Receiving
        && let Some(receiver) = endpoint::pop(ep)
    {
        transfer(thread, receiver, args.badge, args.can_grant, ep);
        tcb(receiver).state = ThreadState::Running;
        sched::make_ready(receiver);
        if args.is_call {
            wait_for_reply(thread, receiver, args.can_grant);
        }
        return;
    }
    if !args.blocking {
        return;
    }
    let t = tcb(thread);
    t.ipc_badge = args.badge;
    t.ipc_can_grant = args.can_grant;
    t.ipc_can_grant_reply = args.can_grant_reply;
    t.ipc_is_call = args.is_call;
    t.state = ThreadState::BlockedOnSend;
    endpoint::enqueue(ep, thread, QueueState::Sending);
    sched::remove(thread);
}

/// `thread` receives on endpoint `ep` (its bound notification first).
pub fn receive(thread: u64, ep: u64, blocking: bool) {
    if let Some(word) = notification::take_pending(tcb(thread).bound_notification) {
        let t = tcb(thread);
        t.regs.x[0] = word;
        t.regs.x[1] = 0;
        return;
    }
    if endpoint::state(ep) == QueueState::Sending
        && let Some(sender) = endpoint::pop(ep)
    {
        let s = tcb(sender);
        let (badge, can_grant, is_call) = (s.ipc_badge, s.ipc_can_grant, s.ipc_is_call);
        transfer(sender, thread, badge, can_grant, ep);
        if is_call {
            wait_for_reply(sender, thread, can_grant);
        } else {
            tcb(sender).regs.x[1] = 0;
            tcb(sender).state = ThreadState::Running;
            sched::make_ready(sender);
        }
        return;
    }
    if !blocking {
        let t = tcb(thread);
        t.regs.x[0] = 0;
        t.regs.x[1] = 0;
        return;
    }
    tcb(thread).state = ThreadState::BlockedOnReceive;
    endpoint::enqueue(ep, thread, QueueState::Receiving);
    sched::remove(thread);
}

/// The caller now waits for `callee`'s reply: the callee gets a one-shot
/// reply capability (child of the caller's master reply cap) in its caller
/// slot, replacing any it had.
pub fn wait_for_reply(caller: u64, callee: u64, can_grant: bool) {
    let caller_slot = tcb::slot_addr(callee, tcb::slot::CALLER);
    delete::delete_one(caller_slot);
    let master = tcb::slot_addr(caller, tcb::slot::REPLY);
    let reply = Cap::Reply {
        tcb: caller,
        master: false,
        can_grant,
    };
    if mdb::insert(&mut KernelSlots, master, caller_slot, reply).is_err() {
        // No master reply cap: the caller cannot be answered; it stops
        // rather than wait forever.
        tcb(caller).state = ThreadState::Inactive;
        sched::remove(caller);
        return;
    }
    tcb(caller).state = ThreadState::BlockedOnReply;
    sched::remove(caller);
}

/// `replier` answers through the reply capability in `slot` (its caller
/// slot, or one saved with SaveCaller). Nothing happens if it is empty or
/// the caller no longer waits.
pub fn reply_through(replier: u64, slot: u64) {
    let Cap::Reply {
        tcb: caller,
        master: false,
        can_grant,
    } = KernelSlots.read(slot).cap
    else {
        return;
    };
    delete::delete_one(slot);
    if tcb(caller).state != ThreadState::BlockedOnReply {
        return;
    }
    match tcb(caller).pending_fault {
        PendingFault::None => transfer(replier, caller, 0, can_grant, 0),
        pending => fault::apply_reply(replier, caller, pending),
    }
    tcb(caller).pending_fault = PendingFault::None;
    tcb(caller).state = ThreadState::Running;
    sched::make_ready(caller);
}

/// Copies `sender`'s message to `receiver`: registers, badge, and (when
/// `can_grant`) a capability. `ep` is the endpoint it came through (0 for a
/// reply), against which caps are unwrapped into badges.
pub fn transfer(sender: u64, receiver: u64, badge: u64, can_grant: bool, ep: u64) {
    if ep != 0 && tcb(sender).pending_fault != PendingFault::None {
        // A fault message (a thread with a pending fault sends nothing
        // else): from the record, not the thread's registers.
        // SAFETY: sender != receiver (a thread cannot wait to receive
        // while it sends); both live.
        let (s, r) = unsafe {
            (
                &*object_ptr::<Tcb>(sender),
                &mut *object_ptr::<Tcb>(receiver),
            )
        };
        fault::transfer_message(s, r);
        r.regs.x[0] = badge;
        return;
    }
    let info = msg::info(tcb(sender));
    let length = usize::from(info.length)
        .min(msg::capacity(tcb(sender)))
        .min(msg::capacity(tcb(receiver)));
    for i in 0..length {
        let value = msg::get_mr(tcb(sender), i);
        msg::set_mr(tcb(receiver), i, value);
    }
    let (caps, unwrapped) = if can_grant && info.extra_caps > 0 {
        transfer_caps(sender, receiver, info, ep)
    } else {
        (0, 0)
    };
    let r = tcb(receiver);
    r.regs.x[0] = badge;
    r.regs.x[1] = MessageInfo {
        label: info.label,
        caps_unwrapped: unwrapped,
        extra_caps: caps,
        length: length as u8,
    }
    .to_word();
}

/// Transfers the sender's extra caps: a badged cap to `ep` itself is
/// unwrapped (its badge goes to the receiver); the first other cap is
/// copied into the receiver's receive slot if it names an empty one. Stops
/// at the first cap that cannot be transferred. Returns (caps, unwrapped).
fn transfer_caps(sender: u64, receiver: u64, info: MessageInfo, ep: u64) -> (u8, u8) {
    let mut count = 0u8;
    let mut unwrapped = 0u8;
    let mut slot_used = false;
    for i in 0..usize::from(info.extra_caps) {
        let Ok((src_slot, cap)) = cspace::extra_cap(sender, tcb(sender), i) else {
            break;
        };
        if let Cap::Endpoint { paddr, badge, .. } = cap
            && paddr == ep
            && ep != 0
            && badge != 0
        {
            if let Some(buf) = msg::ipc_buffer(tcb(receiver)) {
                buf.caps_or_badges[i] = badge;
            }
            unwrapped |= 1 << i;
            count += 1;
            continue;
        }
        if slot_used {
            break;
        }
        let Some(dest) = receive_slot(receiver) else {
            break;
        };
        let Ok(new) = derive::derive(&cap) else {
            break;
        };
        if mdb::insert(&mut KernelSlots, src_slot, dest, new).is_err() {
            break;
        }
        slot_used = true;
        count += 1;
    }
    (count, unwrapped)
}

/// The empty slot the receiver named in its IPC buffer, if any.
fn receive_slot(receiver: u64) -> Option<u64> {
    let buf = msg::ipc_buffer(tcb(receiver))?;
    let (cnode, index, depth) = (buf.receive_cnode, buf.receive_index, buf.receive_depth);
    if depth == 0 {
        return None;
    }
    let (_, root) = cspace::lookup(receiver, cnode).ok()?;
    let slot = cspace::resolve_slot(&root, index, depth).ok()?;
    KernelSlots.read(slot).is_empty().then_some(slot)
}
