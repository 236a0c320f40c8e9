//! Object invocations: a `Call` on the object's capability with an
//! invocation label (see `docs/api.md`). [`invoke`] is the generic form;
//! the submodules wrap each object's invocations.

use tessera_abi::{CPtr, Label, MessageInfo, Syscall};

use crate::error::{InvResult, check};
use crate::message::{Outgoing, read_mr};
use crate::{ipc_buffer, syscall};

/// A successful reply: its message info and registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The reply's message info.
    pub info: MessageInfo,
    /// Message registers 0–3 (later ones: [`Reply::mr`]).
    pub regs: [u64; 4],
}

impl Reply {
    /// Message register `i` (read from the IPC buffer for `i >= 4`, so
    /// call it before the next system call).
    pub fn mr(&self, i: usize) -> u64 {
        ipc_buffer::with(|b| read_mr(&self.regs, Some(b), i))
            .unwrap_or_else(|| read_mr(&self.regs, None, i))
    }
}

/// Sends `msg` with `Call` on `cap` and returns the reply's raw registers.
pub fn call_raw(cap: CPtr, msg: Outgoing<'_>) -> syscall::Returned {
    let (regs, info) = ipc_buffer::with(|b| msg.pack(Some(b))).unwrap_or_else(|| msg.pack(None));
    syscall::raw(Syscall::Call, cap, info, regs)
}

/// Invokes `cap` with a raw label, registers and extra capabilities.
pub fn invoke_label(cap: CPtr, label: u64, mrs: &[u64], caps: &[CPtr]) -> InvResult<Reply> {
    let r = call_raw(cap, Outgoing::new(label, mrs).with_caps(caps));
    let info = check(r.info, r.mr)?;
    Ok(Reply { info, regs: r.mr })
}

/// Invokes `cap` with `label`.
pub fn invoke(cap: CPtr, label: Label, mrs: &[u64], caps: &[CPtr]) -> InvResult<Reply> {
    invoke_label(cap, label as u64, mrs, caps)
}

/// Invokes and discards the reply's contents.
fn invoke_unit(cap: CPtr, label: Label, mrs: &[u64], caps: &[CPtr]) -> InvResult<()> {
    invoke(cap, label, mrs, caps).map(|_| ())
}

/// Untyped memory.
pub mod untyped {
    use super::*;
    use tessera_abi::ObjectType;

    /// Where retyped objects go: slots `offset..offset + count` of the
    /// CNode found at `node_index`/`node_depth` in `root` (`root` itself if
    /// `node_depth` is 0).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Destination {
        /// A CNode capability: the lookup root.
        pub root: CPtr,
        /// The destination CNode's index in `root`.
        pub node_index: u64,
        /// Bits to resolve `node_index` to; 0 for `root` itself.
        pub node_depth: u64,
        /// First slot.
        pub offset: u64,
    }

    impl Destination {
        /// Slot `offset` onwards of `root` itself.
        pub const fn root(root: CPtr, offset: u64) -> Self {
            Self {
                root,
                node_index: 0,
                node_depth: 0,
                offset,
            }
        }
    }

    /// Makes `count` objects of `ty` from `untyped`.
    pub fn retype(
        untyped: CPtr,
        ty: ObjectType,
        size_bits: u64,
        dest: Destination,
        count: u64,
    ) -> InvResult<()> {
        retype_raw(untyped, ty as u64, size_bits, dest, count)
    }

    /// As [`retype`] with a raw type number (for error tests).
    pub fn retype_raw(
        untyped: CPtr,
        ty: u64,
        size_bits: u64,
        dest: Destination,
        count: u64,
    ) -> InvResult<()> {
        invoke_unit(
            untyped,
            Label::UntypedRetype,
            &[
                ty,
                size_bits,
                dest.node_index,
                dest.node_depth,
                dest.offset,
                count,
            ],
            &[dest.root],
        )
    }
}

/// CNodes. Slots are named by (index, depth) inside a CNode capability, the
/// invoked capability for the destination.
pub mod cnode {
    use super::*;
    use tessera_abi::Rights;

    /// A slot: `index` resolved to exactly `depth` bits from CNode `root`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Slot {
        /// The CNode capability the lookup starts from.
        pub root: CPtr,
        /// The index.
        pub index: u64,
        /// Bits to resolve (1..=64).
        pub depth: u64,
    }

    impl Slot {
        /// A slot of `root` named by a full 64-bit capability pointer.
        pub const fn new(root: CPtr, index: u64) -> Self {
            Self {
                root,
                index,
                depth: 64,
            }
        }
    }

    /// Copies `src` to `dest` with rights reduced to `rights`.
    pub fn copy(dest: Slot, src: Slot, rights: Rights) -> InvResult<()> {
        let mrs = [dest.index, dest.depth, src.index, src.depth, rights.bits()];
        invoke_unit(dest.root, Label::CNodeCopy, &mrs, &[src.root])
    }

    /// Copies with reduced rights and a badge (endpoints, notifications) or
    /// guard data (CNodes: bits 0–5 guard size, bits 6… guard).
    pub fn mint(dest: Slot, src: Slot, rights: Rights, badge: u64) -> InvResult<()> {
        let mrs = [
            dest.index,
            dest.depth,
            src.index,
            src.depth,
            rights.bits(),
            badge,
        ];
        invoke_unit(dest.root, Label::CNodeMint, &mrs, &[src.root])
    }

    /// Moves `src` to `dest`.
    pub fn move_(dest: Slot, src: Slot) -> InvResult<()> {
        let mrs = [dest.index, dest.depth, src.index, src.depth];
        invoke_unit(dest.root, Label::CNodeMove, &mrs, &[src.root])
    }

    /// Moves `src` to `dest` setting a badge or guard data.
    pub fn mutate(dest: Slot, src: Slot, badge: u64) -> InvResult<()> {
        let mrs = [dest.index, dest.depth, src.index, src.depth, badge];
        invoke_unit(dest.root, Label::CNodeMutate, &mrs, &[src.root])
    }

    /// Deletes the capability in `slot`.
    pub fn delete(slot: Slot) -> InvResult<()> {
        invoke_unit(
            slot.root,
            Label::CNodeDelete,
            &[slot.index, slot.depth],
            &[],
        )
    }

    /// Deletes every capability derived from the one in `slot`.
    pub fn revoke(slot: Slot) -> InvResult<()> {
        invoke_unit(
            slot.root,
            Label::CNodeRevoke,
            &[slot.index, slot.depth],
            &[],
        )
    }

    /// Moves `pivot` to `dest` (with `pivot_badge`) and `src` to `pivot`
    /// (with `src_badge`).
    pub fn rotate(
        dest: Slot,
        pivot: Slot,
        pivot_badge: u64,
        src: Slot,
        src_badge: u64,
    ) -> InvResult<()> {
        let mrs = [
            dest.index,
            dest.depth,
            pivot.index,
            pivot.depth,
            pivot_badge,
            src.index,
            src.depth,
            src_badge,
        ];
        invoke_unit(dest.root, Label::CNodeRotate, &mrs, &[pivot.root, src.root])
    }

    /// Moves the calling thread's reply capability into `dest`.
    pub fn save_caller(dest: Slot) -> InvResult<()> {
        invoke_unit(
            dest.root,
            Label::CNodeSaveCaller,
            &[dest.index, dest.depth],
            &[],
        )
    }
}

/// Thread control blocks.
pub mod tcb {
    use super::*;
    use tessera_abi::UserContext;

    /// What [`configure`] sets.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Config {
        /// The fault endpoint, a CPtr in the thread's own CSpace (0: none).
        pub fault_ep: CPtr,
        /// The CSpace root capability.
        pub cspace: CPtr,
        /// Guard data for the CSpace root (0: keep the capability as is).
        pub cspace_data: u64,
        /// The VSpace capability.
        pub vspace: CPtr,
        /// The IPC buffer's user address (0: none).
        pub ipc_buffer: u64,
        /// The IPC buffer's frame (0, the null pointer: none).
        pub ipc_buffer_frame: CPtr,
    }

    /// Sets fault endpoint, CSpace, VSpace and IPC buffer.
    pub fn configure(tcb: CPtr, c: Config) -> InvResult<()> {
        invoke_unit(
            tcb,
            Label::TcbConfigure,
            &[c.fault_ep, c.cspace_data, c.ipc_buffer],
            &[c.cspace, c.vspace, c.ipc_buffer_frame],
        )
    }

    /// Sets the priority, bounded by `authority`'s maximum controlled one.
    pub fn set_priority(tcb: CPtr, authority: CPtr, prio: u64) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbSetPriority, &[prio], &[authority])
    }

    /// Sets the maximum controlled priority.
    pub fn set_mc_priority(tcb: CPtr, authority: CPtr, mcp: u64) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbSetMcPriority, &[mcp], &[authority])
    }

    /// Sets the IPC buffer.
    pub fn set_ipc_buffer(tcb: CPtr, address: u64, frame: CPtr) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbSetIpcBuffer, &[address], &[frame])
    }

    /// Sets fault endpoint, CSpace and VSpace.
    pub fn set_space(
        tcb: CPtr,
        fault_ep: CPtr,
        cspace: CPtr,
        cspace_data: u64,
        vspace: CPtr,
    ) -> InvResult<()> {
        invoke_unit(
            tcb,
            Label::TcbSetSpace,
            &[fault_ep, cspace_data],
            &[cspace, vspace],
        )
    }

    /// Stops the thread.
    pub fn suspend(tcb: CPtr) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbSuspend, &[], &[])
    }

    /// Makes the thread runnable.
    pub fn resume(tcb: CPtr) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbResume, &[], &[])
    }

    /// Reads the first `count` registers (suspending the thread first if
    /// `suspend`).
    pub fn read_registers(tcb: CPtr, suspend: bool, count: usize) -> InvResult<UserContext> {
        let reply = invoke(
            tcb,
            Label::TcbReadRegisters,
            &[suspend as u64, count as u64],
            &[],
        )?;
        let mut ctx = UserContext::default();
        for i in 0..count.min(UserContext::COUNT) {
            ctx.set(i, reply.mr(i));
        }
        Ok(ctx)
    }

    /// Writes the first `count` registers of `ctx` (and resumes the thread
    /// if `resume`).
    pub fn write_registers(
        tcb: CPtr,
        resume: bool,
        count: usize,
        ctx: &UserContext,
    ) -> InvResult<()> {
        let mut mrs = [0u64; 2 + UserContext::COUNT];
        mrs[0] = resume as u64;
        mrs[1] = count as u64;
        let n = count.min(UserContext::COUNT);
        for i in 0..n {
            mrs[2 + i] = ctx.get(i).unwrap_or(0);
        }
        invoke_unit(tcb, Label::TcbWriteRegisters, &mrs[..2 + n], &[])
    }

    /// Copies registers from `source`.
    pub fn copy_registers(
        tcb: CPtr,
        source: CPtr,
        suspend_source: bool,
        resume_target: bool,
        frame: bool,
        integer: bool,
    ) -> InvResult<()> {
        let mrs = [
            suspend_source as u64,
            resume_target as u64,
            frame as u64,
            integer as u64,
        ];
        invoke_unit(tcb, Label::TcbCopyRegisters, &mrs, &[source])
    }

    /// Binds a notification.
    pub fn bind_notification(tcb: CPtr, notification: CPtr) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbBindNotification, &[], &[notification])
    }

    /// Unbinds the bound notification.
    pub fn unbind_notification(tcb: CPtr) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbUnbindNotification, &[], &[])
    }

    /// Moves the thread to `core`.
    pub fn set_affinity(tcb: CPtr, core: u64) -> InvResult<()> {
        invoke_unit(tcb, Label::TcbSetAffinity, &[core], &[])
    }
}

/// Frames, page tables and ASIDs.
pub mod vspace {
    use super::*;
    use tessera_abi::{Rights, VmAttributes};

    /// Maps `frame` into `vspace` at `vaddr`.
    pub fn map_frame(
        frame: CPtr,
        vspace: CPtr,
        vaddr: u64,
        rights: Rights,
        attrs: VmAttributes,
    ) -> InvResult<()> {
        invoke_unit(
            frame,
            Label::FrameMap,
            &[vaddr, rights.bits(), attrs.bits()],
            &[vspace],
        )
    }

    /// Unmaps `frame`.
    pub fn unmap_frame(frame: CPtr) -> InvResult<()> {
        invoke_unit(frame, Label::FrameUnmap, &[], &[])
    }

    /// The frame's physical address.
    pub fn frame_address(frame: CPtr) -> InvResult<u64> {
        invoke(frame, Label::FrameGetAddress, &[], &[]).map(|r| r.regs[0])
    }

    /// Installs page table `pt` on the path to `vaddr` in `vspace`.
    pub fn map_page_table(pt: CPtr, vspace: CPtr, vaddr: u64) -> InvResult<()> {
        invoke_unit(pt, Label::PageTableMap, &[vaddr], &[vspace])
    }

    /// Removes page table `pt` from its VSpace.
    pub fn unmap_page_table(pt: CPtr) -> InvResult<()> {
        invoke_unit(pt, Label::PageTableUnmap, &[], &[])
    }

    /// Makes an ASID pool from a 4 KiB `untyped` into `dest_root`'s slot
    /// (`index`, `depth`).
    pub fn make_asid_pool(
        control: CPtr,
        untyped: CPtr,
        dest_root: CPtr,
        index: u64,
        depth: u64,
    ) -> InvResult<()> {
        invoke_unit(
            control,
            Label::AsidControlMakePool,
            &[index, depth],
            &[untyped, dest_root],
        )
    }

    /// Gives `vspace` an ASID from `pool`.
    pub fn assign_asid(pool: CPtr, vspace: CPtr) -> InvResult<()> {
        invoke_unit(pool, Label::AsidPoolAssign, &[], &[vspace])
    }
}

/// IRQControl and IRQHandler: interrupts delivered as notifications.
pub mod irq {
    use super::*;
    use crate::invoke::cnode::Slot;

    /// How a line is triggered.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Trigger {
        /// Level-sensitive.
        Level = 0,
        /// Edge-triggered.
        Edge = 1,
    }

    /// Claims shared interrupt `intid`, routed to `core`, with its handler
    /// capability put in `dest`.
    pub fn get(
        control: CPtr,
        intid: u64,
        trigger: Trigger,
        core: u64,
        dest: Slot,
    ) -> InvResult<()> {
        invoke_unit(
            control,
            Label::IrqControlGet,
            &[intid, trigger as u64, core, dest.index, dest.depth],
            &[dest.root],
        )
    }

    /// Signals `notification` when the line fires (and unmasks it).
    pub fn set_notification(handler: CPtr, notification: CPtr) -> InvResult<()> {
        invoke_unit(
            handler,
            Label::IrqHandlerSetNotification,
            &[],
            &[notification],
        )
    }

    /// Unmasks the line after an interrupt was handled.
    pub fn ack(handler: CPtr) -> InvResult<()> {
        invoke_unit(handler, Label::IrqHandlerAck, &[], &[])
    }

    /// Stops signalling and masks the line.
    pub fn clear(handler: CPtr) -> InvResult<()> {
        invoke_unit(handler, Label::IrqHandlerClear, &[], &[])
    }
}
