//! Untyped memory: Retype makes new objects out of it.
//!
//! New objects must be zero. Retype zeroes their memory first, at most
//! [`ZERO_CHUNK`] bytes per kernel entry: a Retype that needs more records
//! how far it got in the Untyped capability (its zeroed mark) and restarts,
//! and the next entry carries on from there, so one entry's work is
//! bounded whatever the objects' size. `tessera_caps::untyped` decides
//! what needs zeroing (and a host model test checks that objects are only
//! ever made from zero memory).

use tessera_abi::{Error, Label, ObjectType};
use tessera_caps::{Cap, RetypePlan, SlotAddr, SlotStore, SyscallError, mdb, plan_retype};

use super::cnode::{KernelSlots, slot_addr};
use super::object_ptr;
use super::tcb::{self, Tcb};
use crate::arch::aarch64::boot_mmu::phys_to_virt;
use crate::arch::aarch64::cpu;
use crate::cspace;
use crate::invocation::{Invoker, Outcome, expect_label};

/// Bytes one kernel entry zeroes for a Retype before the call restarts.
pub const ZERO_CHUNK: u64 = 256 * 1024;

/// A checked Retype: nothing can fail in `perform`.
struct Retype {
    untyped_slot: SlotAddr,
    untyped: Cap,
    plan: RetypePlan,
    /// The CNode the objects' caps go to, and the first slot index.
    dest_cnode: u64,
    dest_offset: u64,
}

pub fn invoke(invoker: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Outcome, SyscallError> {
    let retype = decode(invoker, slot, cap)?;
    if !zero_step(&retype) {
        // Preempted: the call runs again later and carries on where this
        // entry stopped.
        return Ok(invoker.restart());
    }
    perform(&retype);
    Ok(Outcome::ok())
}

/// Zeroes the next chunk of the objects' memory that is not known to be
/// zero. True when none is left; else records the progress in the
/// Untyped capability (the call then restarts).
fn zero_step(r: &Retype) -> bool {
    let Some((from, to)) = r.plan.dirty_range(&r.untyped) else {
        return true;
    };
    let Cap::Untyped { paddr, .. } = r.untyped else {
        return true;
    };
    let stop = to.min(from.saturating_add(ZERO_CHUNK));
    // SAFETY: [from, stop) lies inside the Untyped's RAM (the plan places
    // the objects there), past every live object made from it (after the
    // watermark, or anywhere when it has no children left), under the
    // linear map.
    unsafe { cpu::zero_memory(phys_to_virt(paddr + from), stop - from) };
    if stop == to {
        return true;
    }
    let progress = r.plan.partly_zeroed(&r.untyped, stop);
    let _ = mdb::update_cap(&mut KernelSlots, r.untyped_slot, progress);
    false
}

fn decode(invoker: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Retype, SyscallError> {
    expect_label(invoker, Label::UntypedRetype)?;
    let object_type = tessera_caps::untyped::parse_object_type(invoker.mr(0)?)?;
    let size_bits = invoker.mr(1)?;
    let (node_index, node_depth, node_offset, count) = (
        invoker.mr(2)?,
        invoker.mr(3)?,
        invoker.mr(4)?,
        invoker.mr(5)?,
    );
    let (_, root) = invoker.cap(0)?;
    if !matches!(root, Cap::CNode { .. }) {
        return Err(cspace::wrong_extra_cap(0));
    }
    let dest = if node_depth == 0 {
        root
    } else {
        let at = cspace::resolve_slot(&root, node_index, node_depth)?;
        cspace::cap_at(at)
    };
    let Cap::CNode {
        paddr: dest_cnode,
        radix_bits,
        ..
    } = dest
    else {
        return Err(cspace::missing());
    };
    let has_children = mdb::has_children(&KernelSlots, slot);
    let plan = plan_retype(cap, has_children, object_type, size_bits, count)?;
    let slots = 1u64 << radix_bits;
    if node_offset >= slots || count > slots - node_offset {
        return Err(SyscallError::range(0, slots.saturating_sub(count)));
    }
    for i in 0..count {
        if !KernelSlots
            .read(slot_addr(dest_cnode, node_offset + i))
            .is_empty()
        {
            return Err(SyscallError::plain(Error::DeleteFirst));
        }
    }
    Ok(Retype {
        untyped_slot: slot,
        untyped: *cap,
        plan,
        dest_cnode,
        dest_offset: node_offset,
    })
}

/// Makes the objects (in memory that is already zero, see the module
/// documentation) and raises the watermark over them.
fn perform(r: &Retype) {
    let plan = &r.plan;
    for i in 0..plan.count {
        let (Some(paddr), Some(cap)) = (plan.object_paddr(i), plan.cap_for(i)) else {
            continue;
        };
        init_object(plan.object_type, paddr);
        let dest = slot_addr(r.dest_cnode, r.dest_offset + i);
        let _ = mdb::insert_new_object(&mut KernelSlots, r.untyped_slot, dest, cap);
    }
    let _ = mdb::update_cap(
        &mut KernelSlots,
        r.untyped_slot,
        plan.updated_untyped(&r.untyped),
    );
}

/// What zeroed memory does not already make a valid object of.
fn init_object(object_type: ObjectType, paddr: u64) {
    if object_type == ObjectType::Tcb {
        // SAFETY: paddr is a fresh, zeroed TCB-sized object in RAM (TCBs
        // are never made in device memory), nothing else refers to it.
        let t = unsafe { &mut *object_ptr::<Tcb>(paddr) };
        t.init();
        t.set_name("thread");
        let master = Cap::Reply {
            tcb: paddr,
            master: true,
            can_grant: true,
        };
        let _ = mdb::insert_root(
            &mut KernelSlots,
            tcb::slot_addr(paddr, tcb::slot::REPLY),
            master,
        );
    }
}
