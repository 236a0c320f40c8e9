//! CNode invocations: Copy, Mint, Move, Mutate, Delete, Revoke, Rotate and
//! their checks. (SaveCaller is with IPC, in ipc.rs.)

use tessera_rt::abi::{Error, InitialSlot, Label, LookupFailure, ObjectType, Rights};
use tessera_rt::invoke::cnode::{self, Slot};
use tessera_rt::invoke::{invoke, invoke_label};
use tessera_rt::ipc::{self, Outgoing};

use crate::harness::{
    Case, Context, Env, Outcome, expect_err, expect_err_details, expect_err_mr0, expect_label, get,
    occupied, put, wait_board,
};
use crate::{case, ensure};

pub const CASES: &[Case] = &[
    case!(cnode_copy_gives_a_working_cap),
    case!(cnode_copy_into_occupied_slot),
    case!(cnode_copy_from_empty_slot),
    case!(cnode_depth_out_of_range),
    case!(cnode_depth_mismatch),
    case!(cnode_guard_mismatch),
    case!(cnode_copy_removes_rights),
    case!(cnode_rights_never_grow),
    case!(cnode_mint_cannot_rebadge),
    case!(cnode_mint_cnode_guard),
    case!(cnode_move_empties_source),
    case!(cnode_move_into_occupied_slot),
    case!(cnode_mutate_sets_badge),
    case!(cnode_delete_empties_slot),
    case!(cnode_delete_wakes_blocked_receiver),
    case!(cnode_revoke_deletes_badged_copies),
    case!(cnode_revoke_untyped_restarts_at_zero),
    case!(cnode_rotate_moves_two_caps),
    case!(cnode_rotate_into_occupied_slot),
    case!(cnode_irq_control_cannot_be_copied),
    case!(cnode_unknown_label),
    case!(cnode_message_too_short),
    case!(cnode_source_root_not_a_cnode),
    case!(cnode_label_on_a_tcb),
];

fn notification_word(cap: u64) -> u64 {
    ipc::poll(cap).badge
}

fn cnode_copy_gives_a_working_cap(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let badged = env.mint(n, Rights::ALL, 0x10)?;
    let copy = env.copy(badged, Rights::ALL)?;
    ipc::signal(copy).ctx("signal through the copy")?;
    let w = notification_word(n);
    ensure!(
        w == 0x10,
        "word {w:#x} after a signal through a copy of a cap badged 0x10"
    );
    Ok(())
}

fn cnode_copy_into_occupied_slot(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let b = env.alloc(ObjectType::Notification)?;
    expect_err(
        cnode::copy(env.slot(b), env.slot(a), Rights::ALL),
        "copy onto a full slot",
        Error::DeleteFirst,
    )?;
    ipc::signal(b).ctx("the destination still holds the notification")?;
    Ok(())
}

fn cnode_copy_from_empty_slot(env: &mut Env) -> Outcome {
    let empty = env.free_slot()?;
    let dest = env.free_slot()?;
    expect_err_details(
        cnode::copy(env.slot(dest), env.slot(empty), Rights::ALL),
        "copy from an empty slot",
        Error::FailedLookup,
        [1, LookupFailure::MissingCapability as u64],
    )
}

fn cnode_depth_out_of_range(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let dest = env.free_slot()?;
    for depth in [0, 65, u64::MAX] {
        let bad_dest = Slot {
            root: env.root(),
            index: dest,
            depth,
        };
        expect_err(
            cnode::copy(bad_dest, env.slot(a), Rights::ALL),
            "destination depth",
            Error::RangeError,
        )?;
        let bad_src = Slot {
            root: env.root(),
            index: a,
            depth,
        };
        expect_err(
            cnode::copy(env.slot(dest), bad_src, Rights::ALL),
            "source depth",
            Error::RangeError,
        )?;
        expect_err(cnode::delete(bad_dest), "delete depth", Error::RangeError)?;
    }
    Ok(())
}

fn cnode_depth_mismatch(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let dest = env.free_slot()?;
    // The root CNode resolves 64 bits (52 guard + 12 radix): 60 is too few.
    let src = Slot {
        root: env.root(),
        index: a >> 4,
        depth: 60,
    };
    let d = expect_err(
        cnode::copy(env.slot(dest), src, Rights::ALL),
        "depth 60",
        Error::FailedLookup,
    )?;
    ensure!(
        d[1] == LookupFailure::DepthMismatch as u64,
        "lookup failure kind {}, expected DepthMismatch ({})",
        d[1],
        LookupFailure::DepthMismatch as u64
    );
    Ok(())
}

fn cnode_guard_mismatch(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let dest = env.free_slot()?;
    let src = Slot::new(env.root(), a | 1 << 63);
    let d = expect_err(
        cnode::copy(env.slot(dest), src, Rights::ALL),
        "index with guard bits set",
        Error::FailedLookup,
    )?;
    ensure!(
        d[1] == LookupFailure::GuardMismatch as u64,
        "lookup failure kind {}, expected GuardMismatch ({})",
        d[1],
        LookupFailure::GuardMismatch as u64
    );
    Ok(())
}

fn cnode_copy_removes_rights(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let ro = env.copy(ep, Rights::READ)?;
    expect_err_mr0(
        ipc::nb_send(ro, Outgoing::new(1, &[])),
        "NBSend on a read-only copy",
        Error::InvalidCapability,
        0,
    )?;
    let r = ipc::nb_recv(ro);
    ensure!(
        r.info.label == 0,
        "NBRecv on a read-only copy: label {}",
        r.info.label
    );
    let n = env.alloc(ObjectType::Notification)?;
    let wo = env.copy(n, Rights::WRITE)?;
    expect_label(
        &ipc::poll(wo),
        "poll on a write-only notification",
        Error::InvalidCapability,
    )?;
    Ok(())
}

fn cnode_rights_never_grow(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let ro = env.copy(ep, Rights::READ)?;
    let again = env.copy(ro, Rights::ALL)?;
    expect_err(
        ipc::nb_send(again, Outgoing::new(1, &[])),
        "NBSend on a copy of a read-only copy",
        Error::InvalidCapability,
    )?;
    let n = env.alloc(ObjectType::Notification)?;
    let ro = env.mint(n, Rights::READ, 5)?;
    let again = env.mint(ro, Rights::ALL, 5)?;
    expect_err(
        ipc::signal(again),
        "signal on a mint of a read-only cap",
        Error::InvalidCapability,
    )?;
    Ok(())
}

fn cnode_mint_cannot_rebadge(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let b = env.mint(ep, Rights::ALL, 7)?;
    let dest = env.free_slot()?;
    expect_err(
        cnode::mint(env.slot(dest), env.slot(b), Rights::ALL, 8),
        "mint badge 8 from badge 7",
        Error::IllegalOperation,
    )?;
    ensure!(!occupied(env, dest)?, "the refused mint filled the slot");
    Ok(())
}

fn cnode_mint_cnode_guard(env: &mut Env) -> Outcome {
    let sub = env.alloc_sized(ObjectType::CNode, 4)?;
    let n = env.alloc(ObjectType::Notification)?;
    // Put a badged notification in slot 3 of `sub`.
    cnode::mint(
        Slot {
            root: sub,
            index: 3,
            depth: 4,
        },
        env.slot(n),
        Rights::ALL,
        0x33,
    )
    .ctx("mint into the sub-CNode")?;
    // Unguarded, `sub` resolves 4 bits: a 64-bit index does not fit.
    let out = env.free_slot()?;
    expect_err(
        cnode::copy(env.slot(out), Slot::new(sub, 3), Rights::ALL),
        "depth 64 in a radix-4 CNode",
        Error::FailedLookup,
    )?;
    // Guard size 60 (bits 0-5), guard value 0: 64 bits in one level.
    let guarded = env.mint(sub, Rights::ALL, 60)?;
    cnode::copy(env.slot(out), Slot::new(guarded, 3), Rights::ALL)
        .ctx("depth 64 through the guarded cap")?;
    ipc::signal(out).ctx("signal the copied cap")?;
    let w = notification_word(n);
    ensure!(w == 0x33, "word {w:#x}, expected 0x33");
    Ok(())
}

fn cnode_move_empties_source(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let dest = env.free_slot()?;
    cnode::move_(env.slot(dest), env.slot(n)).ctx("move")?;
    ensure!(
        !occupied(env, n)?,
        "the source still holds a cap after the move"
    );
    ipc::signal(dest).ctx("signal through the moved cap")?;
    Ok(())
}

fn cnode_move_into_occupied_slot(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Notification)?;
    let b = env.alloc(ObjectType::Endpoint)?;
    expect_err(
        cnode::move_(env.slot(b), env.slot(a)),
        "move onto a full slot",
        Error::DeleteFirst,
    )?;
    ipc::signal(a).ctx("the source still works")?;
    Ok(())
}

fn cnode_mutate_sets_badge(env: &mut Env) -> Outcome {
    // A badge cannot be changed in place (seL4's rule): Mutate with data
    // refuses an endpoint or notification cap, and with 0 moves it as is.
    let n = env.alloc(ObjectType::Notification)?;
    let badged = env.mint(n, Rights::ALL, 0x40)?;
    let dest = env.free_slot()?;
    expect_err(
        cnode::mutate(env.slot(dest), env.slot(badged), 0x80),
        "mutate a badged cap to another badge",
        Error::IllegalOperation,
    )?;
    ensure!(
        occupied(env, badged)?,
        "a refused mutate emptied the source"
    );
    cnode::mutate(env.slot(dest), env.slot(badged), 0).ctx("mutate with data 0")?;
    ensure!(!occupied(env, badged)?, "mutate left the source full");
    ipc::signal(dest).ctx("signal the moved cap")?;
    let w = notification_word(n);
    ensure!(w == 0x40, "word {w:#x}, expected the kept badge 0x40");
    Ok(())
}

fn cnode_delete_empties_slot(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    cnode::delete(env.slot(n)).ctx("delete")?;
    ensure!(!occupied(env, n)?, "the slot is full after delete");
    expect_err(
        ipc::signal(n),
        "signal the deleted cap",
        Error::FailedLookup,
    )?;
    cnode::delete(env.slot(n)).ctx("deleting an empty slot")?;
    Ok(())
}

const B_RESULT: usize = 1;
const B_DONE: usize = 2;

fn receiver(ep: u64) -> ! {
    let r = ipc::recv(ep);
    put(B_RESULT, r.info.label);
    put(B_DONE, 1);
    crate::harness::park()
}

fn cnode_delete_wakes_blocked_receiver(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(receiver, ep, 0)?;
    crate::harness::settle(5);
    ensure!(
        get(B_DONE) == 0,
        "the receiver returned before anything was sent (label {})",
        get(B_RESULT)
    );
    cnode::delete(env.slot(ep)).ctx("deleting the endpoint")?;
    wait_board(
        B_DONE,
        1,
        "the receiver stayed blocked after its endpoint was destroyed",
    )?;
    let l = get(B_RESULT);
    ensure!(
        l == Error::InvalidCapability as u64,
        "the receiver's Recv ended with label {l}, expected InvalidCapability"
    );
    Ok(())
}

fn cnode_revoke_deletes_badged_copies(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let minted = [
        env.mint(ep, Rights::ALL, 1)?,
        env.mint(ep, Rights::ALL, 2)?,
        env.mint(ep, Rights::ALL, 3)?,
    ];
    cnode::revoke(env.slot(ep)).ctx("revoke")?;
    for m in minted {
        ensure!(
            !occupied(env, m)?,
            "badged copy in slot {m} survived the revoke"
        );
    }
    ensure!(occupied(env, ep)?, "revoke emptied the revoked slot itself");
    Ok(())
}

fn cnode_revoke_untyped_restarts_at_zero(env: &mut Env) -> Outcome {
    let ut = env.untyped(14)?;
    let s = env.free_slots(5)?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s, 4)
        .ctx("four frames")?;
    let a = tessera_rt::invoke::vspace::frame_address(s).ctx("frame address")?;
    cnode::revoke(env.slot(ut)).ctx("revoke")?;
    for i in 0..4 {
        ensure!(!occupied(env, s + i)?, "frame {i} survived the revoke");
    }
    env.retype_into(ut, ObjectType::Frame4K, 0, s + 4, 1)
        .ctx("retype after revoke")?;
    let b = tessera_rt::invoke::vspace::frame_address(s + 4).ctx("new frame address")?;
    ensure!(
        a == b,
        "after revoke the first frame is at {b:#x}, expected {a:#x}"
    );
    Ok(())
}

fn cnode_rotate_moves_two_caps(env: &mut Env) -> Outcome {
    let n1 = env.alloc(ObjectType::Notification)?;
    let n2 = env.alloc(ObjectType::Notification)?;
    let pivot = env.mint(n1, Rights::ALL, 0x1)?;
    let src = env.mint(n2, Rights::ALL, 0x2)?;
    let dest = env.free_slot()?;
    cnode::rotate(env.slot(dest), env.slot(pivot), 0, env.slot(src), 0).ctx("rotate")?;
    ensure!(
        !occupied(env, src)?,
        "the source is still full after rotate"
    );
    ipc::signal(dest).ctx("signal the destination")?;
    ipc::signal(pivot).ctx("signal the pivot")?;
    let (w1, w2) = (notification_word(n1), notification_word(n2));
    ensure!(
        w1 == 1 && w2 == 2,
        "words {w1:#x} and {w2:#x}, expected 0x1 (old pivot in dest) and 0x2 (old source in pivot)"
    );
    Ok(())
}

fn cnode_rotate_into_occupied_slot(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Notification)?;
    let b = env.alloc(ObjectType::Notification)?;
    let c = env.alloc(ObjectType::Notification)?;
    expect_err(
        cnode::rotate(env.slot(c), env.slot(a), 0, env.slot(b), 0),
        "rotate onto a full slot",
        Error::DeleteFirst,
    )?;
    Ok(())
}

fn cnode_irq_control_cannot_be_copied(env: &mut Env) -> Outcome {
    let dest = env.free_slot()?;
    let irq = env.slot(InitialSlot::IrqControl.cptr());
    expect_err(
        cnode::copy(env.slot(dest), irq, Rights::ALL),
        "copy IRQControl",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn cnode_unknown_label(env: &mut Env) -> Outcome {
    expect_err(
        invoke_label(env.root(), 999, &[0; 8], &[]),
        "label 999",
        Error::IllegalOperation,
    )?;
    expect_err(
        invoke(env.root(), Label::TcbSuspend, &[], &[]),
        "a TCB label",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn cnode_message_too_short(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let dest = env.free_slot()?;
    let r = invoke(
        env.root(),
        Label::CNodeCopy,
        &[dest, 64, a, 64],
        &[env.root()],
    );
    expect_err(r, "copy with 4 registers", Error::TruncatedMessage)?;
    let r = invoke(env.root(), Label::CNodeDelete, &[dest], &[]);
    expect_err(r, "delete with 1 register", Error::TruncatedMessage)?;
    Ok(())
}

fn cnode_source_root_not_a_cnode(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Endpoint)?;
    let dest = env.free_slot()?;
    let src = Slot::new(a, a);
    expect_err_mr0(
        cnode::copy(env.slot(dest), src, Rights::ALL),
        "source root an endpoint",
        Error::InvalidCapability,
        1,
    )
}

fn cnode_label_on_a_tcb(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let dest = env.free_slot()?;
    let r = invoke(t, Label::CNodeDelete, &[dest, 64], &[]);
    expect_err(r, "CNodeDelete on a TCB", Error::IllegalOperation)?;
    Ok(())
}
