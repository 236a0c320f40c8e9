//! Invocation labels: the label of a `Call` on an object's capability.
//!
//! Labels are unique across object types, so a label alone says what was
//! meant. Arguments are message registers (MR) and extra capabilities (cap);
//! "slot (index, depth)" means a slot named by an index resolved to `depth`
//! bits inside a CNode given by a capability. The reply's label is 0 on
//! success or an [`crate::Error`] code.

/// An invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Label {
    /// Untyped: make objects. MR0 type, MR1 size bits, MR2 destination
    /// CNode index, MR3 its depth, MR4 first slot offset in it, MR5 count;
    /// cap 0: the CSpace root the destination CNode is resolved in.
    UntypedRetype = 1,

    /// TCB: read registers. MR0 suspend the source first (0/1), MR1 count.
    /// Reply: the first `count` registers in [`crate::UserContext`] order.
    TcbReadRegisters = 2,
    /// TCB: write registers. MR0 resume the target after (0/1), MR1 count,
    /// MR2… the values in [`crate::UserContext`] order.
    TcbWriteRegisters = 3,
    /// TCB: copy registers from another TCB (cap 0). MR0 suspend source,
    /// MR1 resume target, MR2 copy frame registers (pc, sp, spsr), MR3 copy
    /// integer registers.
    TcbCopyRegisters = 4,
    /// TCB: set fault endpoint (MR0, a CPtr in the thread's new CSpace), the
    /// CSpace root guard data (MR1), the IPC buffer address (MR2); caps: the
    /// CSpace root (0), the VSpace root (1), the IPC buffer frame (2).
    TcbConfigure = 5,
    /// TCB: set priority MR0, with authority cap 0 (a TCB whose maximum
    /// controlled priority bounds it).
    TcbSetPriority = 6,
    /// TCB: set maximum controlled priority MR0, authority cap 0.
    TcbSetMcPriority = 7,
    /// TCB: set the IPC buffer: MR0 address, cap 0 the frame.
    TcbSetIpcBuffer = 8,
    /// TCB: set MR0 fault endpoint, MR1 CSpace guard data; caps CSpace root
    /// (0) and VSpace root (1).
    TcbSetSpace = 9,
    /// TCB: stop the thread.
    TcbSuspend = 10,
    /// TCB: make the thread runnable.
    TcbResume = 11,
    /// TCB: bind notification cap 0, so Recv on an endpoint also returns its
    /// signals.
    TcbBindNotification = 12,
    /// TCB: unbind its notification.
    TcbUnbindNotification = 13,
    /// TCB: move the thread to core MR0.
    TcbSetAffinity = 14,

    /// CNode: revoke the slot (MR0 index, MR1 depth): delete every
    /// capability derived from it.
    CNodeRevoke = 20,
    /// CNode: delete the slot (MR0 index, MR1 depth).
    CNodeDelete = 21,
    /// CNode: copy. MR0 destination index, MR1 depth; MR2 source index, MR3
    /// depth; MR4 rights mask; cap 0 the source CSpace root.
    CNodeCopy = 22,
    /// CNode: mint: copy with MR4 rights mask and MR5 badge (endpoints,
    /// notifications) or guard (CNodes). Arguments as Copy.
    CNodeMint = 23,
    /// CNode: move. Arguments as Copy without rights.
    CNodeMove = 24,
    /// CNode: move, and for a CNode cap set its guard to MR4 (bits 0–5 the
    /// guard size, the rest the guard). For any other cap MR4 must be 0 (a
    /// badge cannot be changed in place: IllegalOperation). Arguments as
    /// Copy.
    CNodeMutate = 25,
    /// CNode: rotate: move pivot (MR2/MR3, data MR4) to destination
    /// (MR0/MR1) and source (MR5/MR6, data MR7) to pivot, the data applied
    /// as by Mutate; caps: pivot root (0), source root (1).
    CNodeRotate = 26,
    /// CNode: move the thread's reply capability into slot MR0/MR1.
    CNodeSaveCaller = 27,

    /// Frame: map into VSpace cap 0 at MR0, rights MR1, attributes MR2
    /// ([`crate::VmAttributes`]).
    FrameMap = 30,
    /// Frame: unmap.
    FrameUnmap = 31,
    /// Frame: reply MR0 = its physical address.
    FrameGetAddress = 32,

    /// PageTable: map into VSpace cap 0 to cover MR0.
    PageTableMap = 35,
    /// PageTable: unmap.
    PageTableUnmap = 36,

    /// ASID control: make an ASID pool from Untyped cap 0 (4 KiB), put in
    /// slot MR0/MR1 of CNode cap 1.
    AsidControlMakePool = 40,
    /// ASID pool: assign an ASID to VSpace cap 0.
    AsidPoolAssign = 41,

    /// IRQ control: claim shared interrupt MR0 (an SPI, 32 up to the
    /// controller's last line) with trigger MR1 (0 level, 1 edge), routed to
    /// core MR2; the IRQHandler cap goes to slot MR3/MR4 (index, depth) of
    /// CNode cap 0. A line already claimed → RevokeFirst.
    IrqControlGet = 50,
    /// IRQ handler: unmask the line after handling an interrupt.
    IrqHandlerAck = 51,
    /// IRQ handler: signal notification cap 0 (with its badge) when the line
    /// fires, and unmask the line.
    IrqHandlerSetNotification = 52,
    /// IRQ handler: stop signalling and mask the line.
    IrqHandlerClear = 53,
}

impl Label {
    /// Every label.
    pub const ALL: [Label; 33] = [
        Label::UntypedRetype,
        Label::TcbReadRegisters,
        Label::TcbWriteRegisters,
        Label::TcbCopyRegisters,
        Label::TcbConfigure,
        Label::TcbSetPriority,
        Label::TcbSetMcPriority,
        Label::TcbSetIpcBuffer,
        Label::TcbSetSpace,
        Label::TcbSuspend,
        Label::TcbResume,
        Label::TcbBindNotification,
        Label::TcbUnbindNotification,
        Label::TcbSetAffinity,
        Label::CNodeRevoke,
        Label::CNodeDelete,
        Label::CNodeCopy,
        Label::CNodeMint,
        Label::CNodeMove,
        Label::CNodeMutate,
        Label::CNodeRotate,
        Label::CNodeSaveCaller,
        Label::FrameMap,
        Label::FrameUnmap,
        Label::FrameGetAddress,
        Label::PageTableMap,
        Label::PageTableUnmap,
        Label::AsidControlMakePool,
        Label::AsidPoolAssign,
        Label::IrqControlGet,
        Label::IrqHandlerAck,
        Label::IrqHandlerSetNotification,
        Label::IrqHandlerClear,
    ];

    /// The label numbered `n`.
    pub fn from_u64(n: u64) -> Option<Label> {
        Self::ALL.iter().copied().find(|l| *l as u64 == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_are_unique() {
        for l in Label::ALL {
            assert_eq!(Label::from_u64(l as u64), Some(l));
        }
        assert_eq!(Label::from_u64(0), None);
        assert_eq!(Label::from_u64(1000), None);
    }
}

#[test]
fn labels_are_distinct() {
    for (i, a) in Label::ALL.iter().enumerate() {
        for b in &Label::ALL[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
