//! Frames, page tables and ASIDs: mapping, unmapping, addresses, the
//! checks on each, page-table levels and ASID pools.

use tessera_rt::abi::{Error, InitialSlot, ObjectType, Rights, VmAttributes};
use tessera_rt::invoke::vspace::{
    assign_asid, frame_address, make_asid_pool, map_frame, map_page_table, unmap_frame,
    unmap_page_table,
};

use tessera_rt::abi::{FaultLabel, UserContext, VmFaultMr};
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::ipc;

use crate::harness::{
    Case, Context, Env, Outcome, expect_err, expect_err_mr0, peek, poke, poll_for,
};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(frame_map_write_read),
    case!(frame_map_unaligned),
    case!(frame_map_without_read_or_write),
    case!(frame_map_without_page_tables),
    case!(frame_map_over_a_mapping),
    case!(frame_map_twice),
    case!(frame_map_vspace_without_asid),
    case!(frame_map_into_a_non_vspace),
    case!(frame_unmap_then_map_elsewhere),
    case!(frame_unmap_when_not_mapped),
    case!(frame_get_address),
    case!(frame_2m_mapping),
    case!(pagetable_map_fills_missing_levels),
    case!(pagetable_unmap_removes_the_level),
    case!(asid_make_pool_and_assign),
    case!(asid_make_pool_needs_4k_untyped),
    case!(asid_assign_twice),
    case!(asid_pool_fills_up),
    case!(vspace_destroyed_under_a_running_thread),
];

const RW: Rights = Rights::READ_WRITE;
const ATTR: VmAttributes = VmAttributes::DEFAULT;

fn frame_map_write_read(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let va = env.va(1)?;
    env.res.map_frame(f, env.res.vspace, va, RW).ctx("map")?;
    poke(va + 8, 0x1234_5678);
    ensure!(peek(va + 8) == 0x1234_5678, "read back {:#x}", peek(va + 8));
    Ok(())
}

fn frame_map_unaligned(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let va = env.va(2)?;
    expect_err(
        map_frame(f, env.res.vspace, va + 0x800, RW, ATTR),
        "4 KiB frame at +0x800",
        Error::AlignmentError,
    )?;
    let big = env.alloc(ObjectType::Frame2M)?;
    expect_err(
        map_frame(big, env.res.vspace, not_2m_aligned(va), RW, ATTR),
        "2 MiB frame at a 4 KiB boundary",
        Error::AlignmentError,
    )
    .map(|_| ())
}

/// A 4 KiB-aligned address near `va` that is not 2 MiB-aligned.
fn not_2m_aligned(va: u64) -> u64 {
    if (va + 0x1000).is_multiple_of(2 << 20) {
        va + 0x2000
    } else {
        va + 0x1000
    }
}

fn frame_map_without_read_or_write(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let va = env.va(1)?;
    for r in [Rights::empty(), Rights::GRANT] {
        expect_err(
            map_frame(f, env.res.vspace, va, r, ATTR),
            "map without Read or Write",
            Error::InvalidArgument,
        )?;
    }
    let ro = env.copy(f, Rights::READ)?;
    // A read-only cap asked for read-write maps read-only.
    env.res
        .map_frame(ro, env.res.vspace, va, RW)
        .ctx("read-only cap, RW asked")?;
    Ok(())
}

fn frame_map_without_page_tables(env: &mut Env) -> Outcome {
    let vs = env.vspace()?;
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        map_frame(f, vs, 0x40_0000, RW, ATTR),
        "map into an empty VSpace",
        Error::FailedLookup,
    )?;
    Ok(())
}

fn frame_map_over_a_mapping(env: &mut Env) -> Outcome {
    let va = env.pages(1)?;
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        map_frame(f, env.res.vspace, va, RW, ATTR),
        "map over a mapped page",
        Error::DeleteFirst,
    )?;
    let big = env.alloc(ObjectType::Frame2M)?;
    let base = va & !((1 << 21) - 1);
    expect_err(
        map_frame(big, env.res.vspace, base, RW, ATTR),
        "2 MiB over a page table",
        Error::DeleteFirst,
    )?;
    Ok(())
}

fn frame_map_twice(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let va = env.va(2)?;
    env.res
        .map_frame(f, env.res.vspace, va, RW)
        .ctx("first map")?;
    expect_err(
        map_frame(f, env.res.vspace, va + 4096, RW, ATTR),
        "the same cap again",
        Error::InvalidCapability,
    )?;
    Ok(())
}

fn frame_map_vspace_without_asid(env: &mut Env) -> Outcome {
    let vs = env.alloc(ObjectType::VSpace)?;
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err_mr0(
        map_frame(f, vs, 0x40_0000, RW, ATTR),
        "VSpace without an ASID",
        Error::InvalidCapability,
        1,
    )
}

fn frame_map_into_a_non_vspace(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let pt = env.alloc(ObjectType::PageTable)?;
    expect_err_mr0(
        map_frame(f, pt, 0x40_0000, RW, ATTR),
        "into a page table cap",
        Error::InvalidCapability,
        1,
    )?;
    expect_err_mr0(
        map_frame(f, env.root(), 0x40_0000, RW, ATTR),
        "into a CNode cap",
        Error::InvalidCapability,
        1,
    )
}

fn frame_unmap_then_map_elsewhere(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    let va = env.va(2)?;
    env.res.map_frame(f, env.res.vspace, va, RW).ctx("map")?;
    poke(va, 0xabc);
    unmap_frame(f).ctx("unmap")?;
    let g = env.alloc(ObjectType::Frame4K)?;
    map_frame(g, env.res.vspace, va, RW, ATTR).ctx("another frame at the freed address")?;
    ensure!(
        peek(va) == 0,
        "the old frame is still visible at the unmapped address"
    );
    map_frame(f, env.res.vspace, va + 4096, RW, ATTR).ctx("the unmapped frame elsewhere")?;
    ensure!(
        peek(va + 4096) == 0xabc,
        "the remapped frame lost its contents"
    );
    Ok(())
}

fn frame_unmap_when_not_mapped(env: &mut Env) -> Outcome {
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        unmap_frame(f),
        "unmap a never-mapped frame",
        Error::IllegalOperation,
    )?;
    let pt = env.alloc(ObjectType::PageTable)?;
    let _ = unmap_page_table(pt);
    Ok(())
}

fn frame_get_address(env: &mut Env) -> Outcome {
    let ut = env.untyped(13)?;
    let s = env.free_slots(2)?;
    env.retype_into(ut, ObjectType::Frame4K, 0, s, 2)
        .ctx("two frames")?;
    let a = frame_address(s).ctx("address 0")?;
    let b = frame_address(s + 1).ctx("address 1")?;
    ensure!(a != 0 && a & 0xfff == 0, "frame address {a:#x}");
    ensure!(
        b == a + 4096,
        "second frame at {b:#x}, expected {:#x}",
        a + 4096
    );
    let pt = env.alloc(ObjectType::PageTable)?;
    expect_err(
        frame_address(pt),
        "GetAddress on a page table",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn frame_2m_mapping(env: &mut Env) -> Outcome {
    let big = env.alloc(ObjectType::Frame2M)?;
    let va = env.res.reserve_va(512, 21).ctx("2 MiB of addresses")?;
    env.res
        .map_frame(big, env.res.vspace, va, RW)
        .ctx("map 2 MiB")?;
    poke(va + (2 << 20) - 8, 0x2222);
    ensure!(
        peek(va + (2 << 20) - 8) == 0x2222,
        "last word of the 2 MiB frame not written"
    );
    Ok(())
}

fn pagetable_map_fills_missing_levels(env: &mut Env) -> Outcome {
    let vs = env.vspace()?;
    let va = 0x12_3456_7000;
    for level in 1..=3 {
        let pt = env.alloc(ObjectType::PageTable)?;
        map_page_table(pt, vs, va).ctx(match level {
            1 => "level 1",
            2 => "level 2",
            _ => "level 3",
        })?;
    }
    let pt = env.alloc(ObjectType::PageTable)?;
    expect_err(
        map_page_table(pt, vs, va),
        "a fourth table on a complete path",
        Error::DeleteFirst,
    )?;
    let f = env.alloc(ObjectType::Frame4K)?;
    map_frame(f, vs, va, RW, ATTR).ctx("frame after three tables")?;
    Ok(())
}

fn pagetable_unmap_removes_the_level(env: &mut Env) -> Outcome {
    let vs = env.vspace()?;
    let va = 0x40_0000;
    let mut last = 0;
    for _ in 0..3 {
        last = env.alloc(ObjectType::PageTable)?;
        map_page_table(last, vs, va).ctx("map a table")?;
    }
    unmap_page_table(last).ctx("unmap the level-3 table")?;
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        map_frame(f, vs, va, RW, ATTR),
        "frame after its table was unmapped",
        Error::FailedLookup,
    )?;
    map_page_table(last, vs, va).ctx("map the table again")?;
    map_frame(f, vs, va, RW, ATTR).ctx("frame after the table is back")?;
    Ok(())
}

fn new_pool(env: &mut Env) -> Result<u64, crate::harness::Reason> {
    let ut = env.untyped(12)?;
    let slot = env.free_slot()?;
    make_asid_pool(InitialSlot::AsidControl.cptr(), ut, env.root(), slot, 64).ctx("MakePool")?;
    Ok(slot)
}

fn asid_make_pool_and_assign(env: &mut Env) -> Outcome {
    let pool = new_pool(env)?;
    let vs = env.alloc(ObjectType::VSpace)?;
    assign_asid(pool, vs).ctx("assign")?;
    let f = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        map_frame(f, vs, 0x40_0000, RW, ATTR),
        "map into the new VSpace (no tables)",
        Error::FailedLookup,
    )?;
    Ok(())
}

fn asid_make_pool_needs_4k_untyped(env: &mut Env) -> Outcome {
    let ut = env.untyped(13)?;
    let slot = env.free_slot()?;
    let ctl = InitialSlot::AsidControl.cptr();
    expect_err_mr0(
        make_asid_pool(ctl, ut, env.root(), slot, 64),
        "8 KiB Untyped",
        Error::InvalidCapability,
        1,
    )?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err_mr0(
        make_asid_pool(ctl, ep, env.root(), slot, 64),
        "an endpoint",
        Error::InvalidCapability,
        1,
    )?;
    let small = env.untyped(12)?;
    expect_err(
        make_asid_pool(ctl, small, env.root(), ep, 64),
        "into a full slot",
        Error::DeleteFirst,
    )?;
    Ok(())
}

fn asid_assign_twice(env: &mut Env) -> Outcome {
    let vs = env.vspace()?;
    expect_err_mr0(
        assign_asid(InitialSlot::AsidPool.cptr(), vs),
        "assign twice",
        Error::InvalidCapability,
        1,
    )?;
    let pt = env.alloc(ObjectType::PageTable)?;
    expect_err_mr0(
        assign_asid(InitialSlot::AsidPool.cptr(), pt),
        "assign a page table",
        Error::InvalidCapability,
        1,
    )
}

fn asid_pool_fills_up(env: &mut Env) -> Outcome {
    let pool = new_pool(env)?;
    let ut = env.untyped(22)?;
    for n in 0..1024u64 {
        let slot = env.free_slot()?;
        env.retype_into(ut, ObjectType::VSpace, 0, slot, 1)
            .ctx("VSpace")?;
        match assign_asid(pool, slot) {
            Ok(()) => {}
            Err(e) if e.error == Error::DeleteFirst && n > 0 => return Ok(()),
            Err(e) => fail!("assign number {n}: {e}, expected success or DeleteFirst when full"),
        }
    }
    fail!("a pool took 1024 ASIDs without DeleteFirst")
}

/// `b .`: the spinning thread's whole program.
const BRANCH_TO_SELF: u64 = 0x1400_0000;
/// Where the spinning thread's code page is, in its own VSpace.
const SPIN_VA: u64 = 0x10_0000;

/// A thread spinning on core 1 in an address space of its own, which is
/// then destroyed (every capability to it deleted). The thread must not go
/// on running in the freed tables: its core is made to leave user level,
/// the thread finds its VSpace gone, and it faults on its next fetch.
fn vspace_destroyed_under_a_running_thread(env: &mut Env) -> Outcome {
    if env.info.num_cores < 2 {
        return Ok(());
    }
    let vs = env.vspace()?;
    // The code page: written through a mapping in the suite's VSpace, then
    // mapped read-only (and executable) in the thread's.
    let code = env.alloc(ObjectType::Frame4K)?;
    let writer = env.copy(code, RW)?;
    let va = env.va(1)?;
    env.res
        .map_frame(writer, env.res.vspace, va, RW)
        .ctx("map to write")?;
    poke(va, BRANCH_TO_SELF);
    unmap_frame(writer).ctx("unmap the writer")?;
    env.res
        .map_frame(code, vs, SPIN_VA, Rights::READ)
        .ctx("map the code")?;
    // The thread: the suite's CSpace, the new VSpace, a fault endpoint.
    let ep = env.alloc(ObjectType::Endpoint)?;
    let fault_cap = env.mint(ep, Rights::ALL, 0x5)?;
    let t = env.alloc(ObjectType::Tcb)?;
    tcb::configure(
        t,
        tcb::Config {
            fault_ep: fault_cap,
            cspace: env.res.cnode,
            cspace_data: 0,
            vspace: vs,
            ipc_buffer: 0,
            ipc_buffer_frame: 0,
        },
    )
    .ctx("configure")?;
    tcb::set_priority(t, InitialSlot::Tcb.cptr(), env.prio).ctx("priority")?;
    tcb::set_affinity(t, 1).ctx("affinity")?;
    let ctx = UserContext {
        pc: SPIN_VA,
        ..UserContext::default()
    };
    tcb::write_registers(t, false, UserContext::COUNT, &ctx).ctx("registers")?;
    tcb::resume(t).ctx("resume")?;
    // It runs there: its PC stays on the branch (read with it stalled).
    let mut seen = false;
    for _ in 0..1000 {
        let r = tcb::read_registers(t, false, UserContext::COUNT).ctx("read")?;
        if r.pc == SPIN_VA {
            seen = true;
            break;
        }
        core::hint::spin_loop();
    }
    ensure!(seen, "the thread never ran its spin loop");
    // Destroy the VSpace: the TCB's copy goes with the Revoke, the VSpace
    // with the last capability.
    cnode::revoke(env.slot(vs)).ctx("revoke the VSpace")?;
    cnode::delete(env.slot(vs)).ctx("delete the VSpace")?;
    let r = poll_for("the thread's fault after its VSpace went", || {
        ipc::nb_recv(ep)
    })?;
    let result = (|| {
        ensure!(r.badge == 0x5, "fault badge {:#x}, expected 0x5", r.badge);
        ensure!(
            r.info.label == FaultLabel::VmFault as u64,
            "fault label {}, expected a VM fault",
            r.info.label
        );
        ensure!(
            r.mr(VmFaultMr::ADDRESS) == SPIN_VA && r.mr(VmFaultMr::PREFETCH) != 0,
            "fault at {:#x} (prefetch {}), expected a fetch of {SPIN_VA:#x}",
            r.mr(VmFaultMr::ADDRESS),
            r.mr(VmFaultMr::PREFETCH)
        );
        Ok(())
    })();
    tcb::suspend(t).ctx("suspend")?;
    result
}
