//! Untyped Retype: every object type, the argument checks, watermark and
//! alignment, device memory, derivation.

use tessera_rt::abi::{Error, Label, LookupFailure, ObjectType, Rights};
use tessera_rt::invoke::untyped::{Destination, retype, retype_raw};
use tessera_rt::invoke::{cnode, invoke, invoke_label, vspace};

use crate::harness::{
    Case, Context, Env, Outcome, expect_err, expect_err_details, expect_err_mr0, occupied, peek,
    poke,
};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(untyped_retype_every_type),
    case!(untyped_retype_count_fills_consecutive_slots),
    case!(untyped_retype_bad_type),
    case!(untyped_retype_untyped_size_out_of_range),
    case!(untyped_retype_cnode_size_out_of_range),
    case!(untyped_retype_count_out_of_range),
    case!(untyped_retype_into_occupied_slot),
    case!(untyped_retype_past_the_cnode_end),
    case!(untyped_retype_past_the_untyped_end),
    case!(untyped_retype_frame1g_does_not_fit),
    case!(untyped_objects_aligned_after_watermark),
    case!(untyped_watermark_restarts_when_children_deleted),
    case!(untyped_new_objects_are_zeroed),
    case!(untyped_large_object_zeroed_over_several_entries),
    case!(untyped_device_refuses_kernel_objects),
    case!(untyped_device_gives_frames),
    case!(untyped_root_not_a_cnode),
    case!(untyped_missing_root_cap),
    case!(untyped_message_too_short),
    case!(untyped_unknown_label),
    case!(untyped_into_sub_cnode_by_depth),
    case!(untyped_node_depth_mismatch),
    case!(untyped_node_not_a_cnode),
    case!(untyped_copy_with_children_needs_revoke),
    case!(untyped_sub_cnode_range),
];

fn untyped_retype_every_type(env: &mut Env) -> Outcome {
    for ty in ObjectType::ALL {
        if ty == ObjectType::Frame1G {
            continue;
        }
        let size = match ty {
            ObjectType::Untyped => 16,
            ObjectType::CNode => 4,
            _ => 0,
        };
        let slot = env.alloc_sized(ty, size)?;
        ensure!(
            occupied(env, slot)?,
            "{ty:?}: the slot is empty after the retype"
        );
    }
    Ok(())
}

fn untyped_retype_count_fills_consecutive_slots(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let first = env.free_slots(16)?;
    env.retype_into(ut, ObjectType::Endpoint, 0, first, 16)
        .ctx("retype 16 endpoints")?;
    for s in first..first + 16 {
        ensure!(occupied(env, s)?, "slot {} of 16 is empty", s - first);
    }
    Ok(())
}

fn untyped_retype_bad_type(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let slot = env.free_slot()?;
    let dest = Destination::root(env.root(), slot);
    expect_err_mr0(
        retype_raw(ut, ObjectType::ALL.len() as u64, 0, dest, 1),
        "type 10",
        Error::InvalidArgument,
        0,
    )?;
    expect_err_mr0(
        retype_raw(ut, u64::MAX, 0, dest, 1),
        "type u64::MAX",
        Error::InvalidArgument,
        0,
    )?;
    ensure!(!occupied(env, slot)?, "a failed retype filled the slot");
    Ok(())
}

fn untyped_retype_untyped_size_out_of_range(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let dest = Destination::root(env.root(), env.free_slot()?);
    for bits in [0, 3, 48, 64] {
        expect_err_details(
            retype(ut, ObjectType::Untyped, bits, dest, 1),
            "untyped size",
            Error::RangeError,
            [4, 47],
        )?;
    }
    Ok(())
}

fn untyped_retype_cnode_size_out_of_range(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let dest = Destination::root(env.root(), env.free_slot()?);
    for bits in [0, 29, 63] {
        expect_err_details(
            retype(ut, ObjectType::CNode, bits, dest, 1),
            "cnode size",
            Error::RangeError,
            [1, 28],
        )?;
    }
    Ok(())
}

fn untyped_retype_count_out_of_range(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let dest = Destination::root(env.root(), env.free_slots(4)?);
    expect_err_details(
        retype(ut, ObjectType::Endpoint, 0, dest, 0),
        "count 0",
        Error::RangeError,
        [1, 256],
    )?;
    expect_err_details(
        retype(ut, ObjectType::Endpoint, 0, dest, 257),
        "count 257",
        Error::RangeError,
        [1, 256],
    )?;
    Ok(())
}

fn untyped_retype_into_occupied_slot(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let first = env.free_slots(3)?;
    env.retype_into(ut, ObjectType::Notification, 0, first + 1, 1)
        .ctx("first retype")?;
    expect_err(
        env.retype_into(ut, ObjectType::Endpoint, 0, first, 3),
        "range over a full slot",
        Error::DeleteFirst,
    )?;
    ensure!(
        !occupied(env, first)?,
        "a failed retype filled the slot before the full one"
    );
    Ok(())
}

fn untyped_retype_past_the_cnode_end(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let slots = 1u64 << env.info.cnode_size_bits;
    expect_err(
        env.retype_into(ut, ObjectType::Endpoint, 0, slots - 1, 2),
        "offset slots-1, count 2",
        Error::RangeError,
    )?;
    expect_err(
        env.retype_into(ut, ObjectType::Endpoint, 0, slots, 1),
        "offset = slots",
        Error::RangeError,
    )?;
    expect_err(
        env.retype_into(ut, ObjectType::Endpoint, 0, u64::MAX, 1),
        "offset u64::MAX",
        Error::RangeError,
    )?;
    Ok(())
}

fn untyped_retype_past_the_untyped_end(env: &mut Env) -> Outcome {
    let ut = env.untyped(12)?;
    let first = env.free_slots(2)?;
    expect_err_mr0(
        env.retype_into(ut, ObjectType::Frame4K, 0, first, 2),
        "two frames from 4 KiB",
        Error::NotEnoughMemory,
        4096,
    )?;
    env.retype_into(ut, ObjectType::Frame4K, 0, first, 1)
        .ctx("one frame from 4 KiB")?;
    expect_err_mr0(
        env.retype_into(ut, ObjectType::Endpoint, 0, first + 1, 1),
        "from a full Untyped",
        Error::NotEnoughMemory,
        0,
    )?;
    Ok(())
}

fn untyped_retype_frame1g_does_not_fit(env: &mut Env) -> Outcome {
    let ut = env.untyped(22)?;
    let slot = env.free_slot()?;
    let d = expect_err(
        env.retype_into(ut, ObjectType::Frame1G, 0, slot, 1),
        "1 GiB frame from 4 MiB",
        Error::NotEnoughMemory,
    )?;
    ensure!(
        d[0] == 1 << 22,
        "NotEnoughMemory says {:#x} bytes available, expected {:#x}",
        d[0],
        1u64 << 22
    );
    Ok(())
}

fn frame_address(slot: u64, what: &str) -> Result<u64, crate::harness::Reason> {
    vspace::frame_address(slot).ctx(what)
}

fn untyped_objects_aligned_after_watermark(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let s = env.free_slots(3)?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s, 1)
        .ctx("frame 0")?;
    env.retype_into(ut, ObjectType::Endpoint, 0, s + 1, 1)
        .ctx("endpoint")?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s + 2, 1)
        .ctx("frame 1")?;
    let (a, b) = (
        frame_address(s, "frame 0 address")?,
        frame_address(s + 2, "frame 1 address")?,
    );
    ensure!(a & 0xfff == 0, "frame 0 at {a:#x} is not page aligned");
    ensure!(
        b == a + 8192,
        "frame after an endpoint at {b:#x}, expected {:#x} (frame 0 at {a:#x})",
        a + 8192
    );
    Ok(())
}

fn untyped_watermark_restarts_when_children_deleted(env: &mut Env) -> Outcome {
    let ut = env.untyped(13)?;
    let s = env.free_slots(3)?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s, 2)
        .ctx("two frames")?;
    let a = frame_address(s, "frame 0 address")?;
    expect_err(
        env.retype_into(ut, ObjectType::Frame4K, 0, s + 2, 1),
        "a third frame",
        Error::NotEnoughMemory,
    )?;
    cnode::delete(env.slot(s)).ctx("delete frame 0")?;
    expect_err(
        env.retype_into(ut, ObjectType::Frame4K, 0, s + 2, 1),
        "with one child left",
        Error::NotEnoughMemory,
    )?;
    cnode::delete(env.slot(s + 1)).ctx("delete frame 1")?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s + 2, 1)
        .ctx("retype after deleting all children")?;
    let b = frame_address(s + 2, "new frame address")?;
    ensure!(
        a == b,
        "new frame at {b:#x}, expected the Untyped's start {a:#x}"
    );
    Ok(())
}

fn untyped_new_objects_are_zeroed(env: &mut Env) -> Outcome {
    let ut = env.untyped(12)?;
    let f = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame4K, 0, f, 1)
        .ctx("frame")?;
    let va = env.va(1)?;
    env.res
        .map_frame(f, env.res.vspace, va, Rights::READ_WRITE)
        .ctx("map")?;
    for i in 0..512 {
        poke(va + i * 8, 0xdead_0000 + i);
    }
    cnode::revoke(env.slot(ut)).ctx("revoke the Untyped")?;
    let g = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame4K, 0, g, 1)
        .ctx("frame again")?;
    let va2 = env.va(1)?;
    env.res
        .map_frame(g, env.res.vspace, va2, Rights::READ_WRITE)
        .ctx("map again")?;
    for i in 0..512 {
        let w = peek(va2 + i * 8);
        ensure!(w == 0, "word {i} of a new frame is {w:#x}");
    }
    Ok(())
}

/// A 2 MiB frame over memory an earlier one dirtied: the kernel zeroes it
/// in chunks over several entries (the Retype restarts in between), and
/// all of it reads zero.
fn untyped_large_object_zeroed_over_several_entries(env: &mut Env) -> Outcome {
    const LARGE: u64 = 2 << 20;
    let ut = env.untyped(21)?;
    let map_large = |env: &mut Env, frame: u64| -> Result<u64, crate::harness::Reason> {
        let va = env.res.reserve_va(LARGE >> 12, 21).ctx("reserving 2 MiB")?;
        env.res
            .map_frame(frame, env.res.vspace, va, Rights::READ_WRITE)
            .ctx("mapping the 2 MiB frame")?;
        Ok(va)
    };
    let f = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame2M, 0, f, 1)
        .ctx("a 2 MiB frame")?;
    let va = map_large(env, f)?;
    // Old data every 4 KiB, in the first and last words.
    for page in 0..LARGE / 4096 {
        poke(va + page * 4096, 0xfeed_0000 + page);
        poke(va + page * 4096 + 4088, 0xbeef_0000 + page);
    }
    cnode::revoke(env.slot(ut)).ctx("revoke the Untyped")?;
    let g = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame2M, 0, g, 1)
        .ctx("a 2 MiB frame again")?;
    let va2 = map_large(env, g)?;
    for page in 0..LARGE / 4096 {
        for offset in [0, 2048, 4088] {
            let w = peek(va2 + page * 4096 + offset);
            ensure!(
                w == 0,
                "byte {:#x} of the new frame holds {w:#x}",
                page * 4096 + offset
            );
        }
    }
    Ok(())
}

fn device_untyped(env: &Env) -> Option<(u64, u64, u8)> {
    let info = env.info;
    info.untypeds()
        .iter()
        .enumerate()
        .rev()
        .find(|(_, u)| u.is_device != 0 && u.size_bits >= 12)
        .map(|(i, u)| (info.untyped.start + i as u64, u.paddr, u.size_bits))
}

fn untyped_device_refuses_kernel_objects(env: &mut Env) -> Outcome {
    let Some((ut, _, _)) = device_untyped(env) else {
        fail!("the boot info lists no device Untyped")
    };
    let slot = env.free_slot()?;
    for ty in [
        ObjectType::Tcb,
        ObjectType::Endpoint,
        ObjectType::CNode,
        ObjectType::PageTable,
        ObjectType::VSpace,
    ] {
        let size = if ty == ObjectType::CNode { 4 } else { 0 };
        expect_err(
            env.retype_into(ut, ty, size, slot, 1),
            "kernel object from device memory",
            Error::InvalidArgument,
        )?;
    }
    Ok(())
}

fn untyped_device_gives_frames(env: &mut Env) -> Outcome {
    let Some((ut, paddr, _)) = device_untyped(env) else {
        fail!("the boot info lists no device Untyped")
    };
    let slot = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame4K, 0, slot, 1)
        .ctx("device frame")?;
    let pa = frame_address(slot, "device frame address");
    cnode::delete(env.slot(slot)).ctx("delete the device frame")?;
    let pa = pa?;
    ensure!(
        pa == paddr,
        "first device frame at {pa:#x}, expected the Untyped's start {paddr:#x}"
    );
    Ok(())
}

fn untyped_root_not_a_cnode(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let slot = env.free_slot()?;
    let dest = Destination::root(ep, slot);
    expect_err_mr0(
        retype(ut, ObjectType::Endpoint, 0, dest, 1),
        "root is an endpoint",
        Error::InvalidCapability,
        1,
    )?;
    Ok(())
}

fn untyped_missing_root_cap(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let slot = env.free_slot()?;
    let mrs = [ObjectType::Endpoint as u64, 0, 0, 0, slot, 1];
    expect_err(
        invoke(ut, Label::UntypedRetype, &mrs, &[]),
        "no extra cap",
        Error::TruncatedMessage,
    )?;
    Ok(())
}

fn untyped_message_too_short(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let slot = env.free_slot()?;
    let mrs = [ObjectType::Endpoint as u64, 0, 0, 0, slot];
    expect_err(
        invoke(ut, Label::UntypedRetype, &mrs, &[env.root()]),
        "5 registers",
        Error::TruncatedMessage,
    )?;
    // A longer message than needed is fine.
    let mrs = [ObjectType::Endpoint as u64, 0, 0, 0, slot, 1, 77, 78];
    invoke(ut, Label::UntypedRetype, &mrs, &[env.root()]).ctx("8 registers")?;
    Ok(())
}

fn untyped_unknown_label(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    expect_err(
        invoke_label(ut, 999, &[0; 6], &[env.root()]),
        "label 999",
        Error::IllegalOperation,
    )?;
    expect_err(
        invoke(ut, Label::CNodeCopy, &[0; 6], &[env.root()]),
        "a CNode label",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn untyped_into_sub_cnode_by_depth(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let sub = env.alloc_sized(ObjectType::CNode, 4)?;
    let dest = Destination {
        root: env.root(),
        node_index: sub,
        node_depth: 64,
        offset: 3,
    };
    retype(ut, ObjectType::Notification, 0, dest, 1).ctx("retype into the sub-CNode")?;
    // The object is in slot 3 of `sub` (radix 4, no guard): move it out.
    let out = env.free_slot()?;
    cnode::move_(
        env.slot(out),
        cnode::Slot {
            root: sub,
            index: 3,
            depth: 4,
        },
    )
    .ctx("moving it out of the sub-CNode")?;
    tessera_rt::ipc::signal(out).ctx("signalling the moved notification")?;
    Ok(())
}

fn untyped_node_depth_mismatch(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let sub = env.alloc_sized(ObjectType::CNode, 4)?;
    let dest = Destination {
        root: env.root(),
        node_index: sub,
        node_depth: 60,
        offset: 0,
    };
    expect_err(
        retype(ut, ObjectType::Endpoint, 0, dest, 1),
        "node depth 60",
        Error::FailedLookup,
    )?;
    Ok(())
}

fn untyped_node_not_a_cnode(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let empty = env.free_slot()?;
    for (node, what) in [(ep, "node is an endpoint"), (empty, "node slot empty")] {
        let dest = Destination {
            root: env.root(),
            node_index: node,
            node_depth: 64,
            offset: 0,
        };
        expect_err(
            retype(ut, ObjectType::Endpoint, 0, dest, 1),
            what,
            Error::FailedLookup,
        )?;
    }
    let _ = LookupFailure::MissingCapability;
    Ok(())
}

fn untyped_copy_with_children_needs_revoke(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let slot = env.free_slot()?;
    env.retype_into(ut, ObjectType::Endpoint, 0, slot, 1)
        .ctx("retype")?;
    let dest = env.free_slot()?;
    expect_err(
        cnode::copy(env.slot(dest), env.slot(ut), Rights::ALL),
        "copy of an Untyped with children",
        Error::RevokeFirst,
    )?;
    Ok(())
}

fn untyped_sub_cnode_range(env: &mut Env) -> Outcome {
    let ut = env.untyped(16)?;
    let sub = env.alloc_sized(ObjectType::CNode, 4)?;
    let dest = Destination {
        root: env.root(),
        node_index: sub,
        node_depth: 64,
        offset: 15,
    };
    expect_err(
        retype(ut, ObjectType::Endpoint, 0, dest, 2),
        "slots 15..17 of 16",
        Error::RangeError,
    )?;
    retype(ut, ObjectType::Endpoint, 0, dest, 1).ctx("slot 15 of 16")?;
    expect_err(
        retype(ut, ObjectType::Endpoint, 0, dest, 1),
        "slot 15 again",
        Error::DeleteFirst,
    )?;
    Ok(())
}
