//! IPC system calls on endpoints, reply capabilities and notifications.
//!
//! Receives return the raw [`Received`] registers: the label of a received
//! message belongs to the sender's protocol, and an unusable capability is
//! reported the same way (label = an [`tessera_abi::Error`] code, see
//! `docs/api.md`), so callers decide how to read it.

use tessera_abi::{CPtr, MessageInfo, Syscall};

use crate::error::{InvResult, check, check_send};
pub use crate::message::Outgoing;
use crate::message::read_mr;
use crate::{ipc_buffer, syscall};

/// What a receive (or a call's reply) delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// x0: the sender's badge, or a notification's word.
    pub badge: u64,
    /// The message info.
    pub info: MessageInfo,
    /// Message registers 0–3.
    pub regs: [u64; 4],
}

impl Received {
    fn from(r: syscall::Returned) -> Self {
        Self {
            badge: r.x0,
            info: MessageInfo::from_word(r.info),
            regs: r.mr,
        }
    }

    /// Message register `i` (from the IPC buffer for `i >= 4`).
    pub fn mr(&self, i: usize) -> u64 {
        ipc_buffer::with(|b| read_mr(&self.regs, Some(b), i))
            .unwrap_or_else(|| read_mr(&self.regs, None, i))
    }

    /// The reply read as an invocation result (label 0 is success).
    pub fn as_result(&self) -> InvResult<MessageInfo> {
        check(self.info.to_word(), self.regs)
    }
}

fn send_with(call: Syscall, cap: CPtr, msg: Outgoing<'_>) -> syscall::Returned {
    send_info(call, cap, msg).1
}

/// Sends and returns the message-info word sent with what came back.
fn send_info(call: Syscall, cap: CPtr, msg: Outgoing<'_>) -> (u64, syscall::Returned) {
    let (regs, info) = ipc_buffer::with(|b| msg.pack(Some(b))).unwrap_or_else(|| msg.pack(None));
    (info, syscall::raw(call, cap, info, regs))
}

/// Sends `msg` on `cap`, blocking until a receiver takes it (on a
/// notification: signals it).
pub fn send(cap: CPtr, msg: Outgoing<'_>) -> InvResult<()> {
    let (sent, r) = send_info(Syscall::Send, cap, msg);
    check_send(sent, r.info, r.mr)
}

/// Sends `msg` if a receiver waits; drops it otherwise.
pub fn nb_send(cap: CPtr, msg: Outgoing<'_>) -> InvResult<()> {
    let (sent, r) = send_info(Syscall::NBSend, cap, msg);
    check_send(sent, r.info, r.mr)
}

/// Sends `msg` and waits for the reply.
pub fn call(cap: CPtr, msg: Outgoing<'_>) -> Received {
    Received::from(send_with(Syscall::Call, cap, msg))
}

/// Waits for a message (or signal) on `cap`.
pub fn recv(cap: CPtr) -> Received {
    Received::from(syscall::raw(Syscall::Recv, cap, 0, [0; 4]))
}

/// Takes a message if one is there; else returns at once with label and
/// length 0 and badge 0.
pub fn nb_recv(cap: CPtr) -> Received {
    Received::from(syscall::raw(Syscall::NBRecv, cap, 0, [0; 4]))
}

/// Replies to the thread's caller.
pub fn reply(msg: Outgoing<'_>) {
    send_with(Syscall::Reply, 0, msg);
}

/// Replies to the caller, then waits on `cap`.
pub fn reply_recv(cap: CPtr, msg: Outgoing<'_>) -> Received {
    Received::from(send_with(Syscall::ReplyRecv, cap, msg))
}

/// Signals a notification (ORs the capability's badge into its word).
pub fn signal(notification: CPtr) -> InvResult<()> {
    send(notification, Outgoing::new(0, &[]))
}

/// Waits until the notification's word is non-zero; returns and clears it.
pub fn wait(notification: CPtr) -> Received {
    recv(notification)
}

/// Returns and clears the notification's word (0 if nothing is pending).
pub fn poll(notification: CPtr) -> Received {
    nb_recv(notification)
}

/// Sets where a received capability goes: slot `index` at `depth` bits in
/// CNode `cnode` (depth 0: accept none).
pub fn set_receive_slot(cnode: CPtr, index: u64, depth: u64) {
    ipc_buffer::with(|b| {
        b.receive_cnode = cnode;
        b.receive_index = index;
        b.receive_depth = depth;
    });
}
