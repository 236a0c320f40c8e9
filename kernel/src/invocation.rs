//! Object invocations: a Call (or Send) on an object's capability.
//!
//! Each object module splits an invocation as seL4 does: `decode` reads
//! and checks every argument and capability and has no side effects;
//! `perform` cannot fail. The reply goes into the caller's registers.

use tessera_abi::Label;
use tessera_caps::{Cap, SlotAddr, SyscallError};

use crate::msg;
use crate::object::object_ptr;
use crate::object::tcb::Tcb;
use crate::object::{asid, cnode_ops, irq, tcb_ops, untyped, vspace};

/// What a performed invocation answers.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per invocation and moved straight into the reply"
)]
pub enum Outcome {
    /// Reply with label 0 and these message registers.
    Reply(heapless::Vec<u64, 40>),
    /// No reply: the caller is blocked, stopped, or restarts the call.
    NoReply,
}

impl Outcome {
    /// A reply with no message registers.
    pub fn ok() -> Outcome {
        Outcome::Reply(heapless::Vec::new())
    }

    /// A reply with the given message registers.
    pub fn values(values: &[u64]) -> Outcome {
        Outcome::Reply(values.iter().copied().collect())
    }
}

/// The invoking thread and its message, as decode steps see them.
pub struct Invoker {
    pub thread: u64,
    pub label: Option<Label>,
    pub length: u8,
}

impl Invoker {
    /// The thread's TCB.
    pub fn tcb(&self) -> &'static mut Tcb {
        // SAFETY: the invoking thread is the current thread, a live TCB;
        // under the kernel lock, used one reference at a time.
        unsafe { &mut *object_ptr::<Tcb>(self.thread) }
    }

    /// Message register `i` (TruncatedMessage if the message is shorter).
    pub fn mr(&self, i: usize) -> Result<u64, SyscallError> {
        msg::mr(self.tcb(), self.length, i)
    }

    /// Extra capability `i`.
    pub fn cap(&self, i: usize) -> Result<(SlotAddr, Cap), SyscallError> {
        crate::cspace::extra_cap(self.thread, self.tcb(), i)
    }

    /// Preempts the call: the thread makes it again when it next runs
    /// (its arguments are still in its registers) and carries on from the
    /// progress the kernel recorded, after threads of its priority have
    /// had the core.
    pub fn restart(&self) -> Outcome {
        let t = self.tcb();
        t.regs.elr = t.regs.elr.wrapping_sub(4);
        crate::sched::yield_current(crate::arch::aarch64::cpu::core_index());
        Outcome::NoReply
    }
}

/// Invokes `cap` (in `slot`) for `thread` and writes the reply.
pub fn invoke(thread: u64, slot: SlotAddr, cap: Cap) -> Result<(), SyscallError> {
    // SAFETY: as in Invoker::tcb.
    let info = msg::info(unsafe { &*object_ptr::<Tcb>(thread) });
    let invoker = Invoker {
        thread,
        label: Label::from_u64(info.label),
        length: info.length,
    };
    let outcome = match cap {
        Cap::Untyped { .. } => untyped::invoke(&invoker, slot, &cap)?,
        Cap::CNode { .. } => cnode_ops::invoke(&invoker, &cap)?,
        Cap::Tcb { paddr } => tcb_ops::invoke(&invoker, paddr)?,
        Cap::Frame { .. } | Cap::PageTable { .. } => vspace::invoke(&invoker, slot, &cap)?,
        Cap::AsidControl | Cap::AsidPool { .. } => asid::invoke(&invoker, slot, &cap)?,
        Cap::IrqControl | Cap::IrqHandler { .. } => irq::invoke(&invoker, slot, &cap)?,
        // The last capability to an object being destroyed: unusable.
        Cap::Zombie { .. } => {
            return Err(SyscallError::plain(tessera_abi::Error::InvalidCapability));
        }
        _ => return Err(SyscallError::illegal_operation()),
    };
    if let Outcome::Reply(values) = outcome {
        msg::reply(invoker.tcb(), 0, &values);
    }
    Ok(())
}

/// The label must be `expected`, else IllegalOperation.
pub fn expect_label(invoker: &Invoker, expected: Label) -> Result<(), SyscallError> {
    if invoker.label == Some(expected) {
        Ok(())
    } else {
        Err(SyscallError::illegal_operation())
    }
}
