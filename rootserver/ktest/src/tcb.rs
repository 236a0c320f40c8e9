//! TCB invocations: Configure, priorities, Suspend/Resume, registers,
//! affinity, IPC buffer and space, and their checks.

use tessera_rt::abi::{Error, InitialSlot, Label, ObjectType, Rights, UserContext};
use tessera_rt::invoke::cnode;
use tessera_rt::invoke::tcb::{self, Config};
use tessera_rt::invoke::{invoke, invoke_label};
use tessera_rt::syscall;

use crate::harness::{
    Case, Context, Env, Outcome, bump, expect_err, expect_err_mr0, get, settle, wait_board,
    wait_until,
};
use crate::{case, ensure};

pub const CASES: &[Case] = &[
    case!(tcb_thread_runs_its_function),
    case!(tcb_new_thread_stays_inactive_until_resumed),
    case!(tcb_configure_cspace_not_a_cnode),
    case!(tcb_configure_vspace_without_asid),
    case!(tcb_configure_unaligned_ipc_buffer),
    case!(tcb_configure_without_ipc_buffer),
    case!(tcb_set_priority_above_mcp),
    case!(tcb_set_mc_priority_bounded_by_authority),
    case!(tcb_suspend_and_resume),
    case!(tcb_registers_round_trip),
    case!(tcb_spsr_keeps_only_flags),
    case!(tcb_read_registers_count_too_big),
    case!(tcb_write_registers_count_too_big),
    case!(tcb_write_registers_message_too_short),
    case!(tcb_read_registers_can_suspend),
    case!(tcb_copy_registers),
    case!(tcb_set_affinity_out_of_range),
    case!(tcb_set_affinity_runs_on_another_core),
    case!(tcb_registers_of_a_thread_running_on_another_core),
    case!(tcb_ipc_buffer_frame_destroyed_under_the_thread),
    case!(tcb_unknown_label),
    case!(tcb_set_ipc_buffer_unaligned),
    case!(tcb_set_space_checks_caps),
];

const B_COUNT: usize = 1;
const B_ARG: usize = 2;

fn mark_and_stop(arg: u64) -> ! {
    crate::harness::put(B_ARG, arg);
    bump(B_COUNT);
    loop {
        syscall::yield_now();
    }
}

fn count_forever(_: u64) -> ! {
    loop {
        bump(B_COUNT);
        syscall::yield_now();
    }
}

fn spin_count(_: u64) -> ! {
    loop {
        bump(B_COUNT);
    }
}

fn tcb_thread_runs_its_function(env: &mut Env) -> Outcome {
    env.spawn(mark_and_stop, 0xfeed_beef, 0)?;
    wait_board(B_COUNT, 1, "the new thread did not run")?;
    ensure!(
        get(B_ARG) == 0xfeed_beef,
        "the thread got argument {:#x}, expected 0xfeedbeef",
        get(B_ARG)
    );
    Ok(())
}

fn tcb_new_thread_stays_inactive_until_resumed(env: &mut Env) -> Outcome {
    let t = env.spawn_stopped(mark_and_stop, 1)?;
    settle(10);
    ensure!(get(B_COUNT) == 0, "a thread that was never resumed ran");
    tcb::resume(t.tcb).ctx("resume")?;
    wait_board(B_COUNT, 1, "the thread did not run after Resume")
}

fn base_config(env: &Env) -> Config {
    Config {
        fault_ep: 0,
        cspace: env.root(),
        cspace_data: 0,
        vspace: env.res.vspace,
        ipc_buffer: 0,
        ipc_buffer_frame: 0,
    }
}

fn tcb_configure_cspace_not_a_cnode(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let c = Config {
        cspace: ep,
        ..base_config(env)
    };
    expect_err_mr0(
        tcb::configure(t, c),
        "CSpace root an endpoint",
        Error::InvalidCapability,
        1,
    )
}

fn tcb_configure_vspace_without_asid(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let vs = env.alloc(ObjectType::VSpace)?;
    let c = Config {
        vspace: vs,
        ..base_config(env)
    };
    expect_err_mr0(
        tcb::configure(t, c),
        "VSpace without an ASID",
        Error::InvalidCapability,
        2,
    )?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let c = Config {
        vspace: ep,
        ..base_config(env)
    };
    expect_err_mr0(
        tcb::configure(t, c),
        "VSpace an endpoint",
        Error::InvalidCapability,
        2,
    )
}

fn tcb_configure_unaligned_ipc_buffer(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let va = env.pages(1)?;
    let frame = env.alloc(ObjectType::Frame4K)?;
    let c = Config {
        ipc_buffer: va + 8,
        ipc_buffer_frame: frame,
        ..base_config(env)
    };
    expect_err(
        tcb::configure(t, c),
        "IPC buffer at +8",
        Error::AlignmentError,
    )?;
    let c = Config {
        ipc_buffer: va + 1024,
        ipc_buffer_frame: frame,
        ..base_config(env)
    };
    tcb::configure(t, c).ctx("IPC buffer at +1024")
}

fn tcb_configure_without_ipc_buffer(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    tcb::configure(t, base_config(env)).ctx("configure without an IPC buffer")
}

fn tcb_set_priority_above_mcp(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let weak = env.alloc(ObjectType::Tcb)?;
    tcb::set_priority(t, weak, 0).ctx("priority 0 with an MCP-0 authority")?;
    expect_err(
        tcb::set_priority(t, weak, 1),
        "priority 1 with an MCP-0 authority",
        Error::RangeError,
    )?;
    tcb::set_priority(t, InitialSlot::Tcb.cptr(), 200)
        .ctx("priority 200 with the suite's authority")?;
    expect_err(
        tcb::set_priority(t, InitialSlot::Tcb.cptr(), 256),
        "priority 256",
        Error::RangeError,
    )?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err_mr0(
        tcb::set_priority(t, ep, 0),
        "authority an endpoint",
        Error::InvalidCapability,
        1,
    )
}

fn tcb_set_mc_priority_bounded_by_authority(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let other = env.alloc(ObjectType::Tcb)?;
    expect_err(
        tcb::set_mc_priority(t, other, 1),
        "MCP 1 with an MCP-0 authority",
        Error::RangeError,
    )?;
    tcb::set_mc_priority(t, InitialSlot::Tcb.cptr(), 50).ctx("MCP 50")?;
    tcb::set_priority(other, t, 50).ctx("priority 50 with an MCP-50 authority")?;
    expect_err(
        tcb::set_priority(other, t, 51),
        "priority 51 with an MCP-50 authority",
        Error::RangeError,
    )?;
    Ok(())
}

fn tcb_suspend_and_resume(env: &mut Env) -> Outcome {
    let t = env.spawn(count_forever, 0, 0)?;
    wait_board(B_COUNT, 3, "the thread did not count")?;
    tcb::suspend(t.tcb).ctx("suspend")?;
    let before = get(B_COUNT);
    settle(20);
    ensure!(
        get(B_COUNT) == before,
        "a suspended thread kept counting ({} -> {})",
        before,
        get(B_COUNT)
    );
    tcb::resume(t.tcb).ctx("resume")?;
    wait_board(B_COUNT, before + 3, "the thread did not count after Resume")
}

fn sample_context() -> UserContext {
    let mut c = UserContext {
        pc: 0x40_1000,
        sp: 0x7f00_0000,
        spsr: 0xf000_0000,
        tpidr_el0: 0x1234_5678,
        ..UserContext::default()
    };
    for (i, x) in c.x.iter_mut().enumerate() {
        *x = 0x1111_0000 + i as u64;
    }
    c
}

fn tcb_registers_round_trip(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let c = sample_context();
    tcb::write_registers(t, false, UserContext::COUNT, &c).ctx("write")?;
    let r = tcb::read_registers(t, false, UserContext::COUNT).ctx("read")?;
    for i in 0..UserContext::COUNT {
        ensure!(
            r.get(i) == c.get(i),
            "register {i}: read {:#x}, wrote {:#x}",
            r.get(i).unwrap_or(0),
            c.get(i).unwrap_or(0)
        );
    }
    let r = tcb::read_registers(t, false, 2).ctx("read 2")?;
    ensure!(
        r.pc == c.pc && r.sp == c.sp && r.x[0] == 0,
        "reading 2 registers gave {:#x?}",
        (r.pc, r.sp, r.x[0])
    );
    Ok(())
}

fn tcb_spsr_keeps_only_flags(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let c = UserContext {
        spsr: 0xffff_ffff_ffff_ffff,
        ..sample_context()
    };
    tcb::write_registers(t, false, 3, &c).ctx("write")?;
    let r = tcb::read_registers(t, false, 3).ctx("read")?;
    ensure!(
        r.spsr & 0xf000_0000 == 0xf000_0000,
        "NZCV not kept: SPSR {:#x}",
        r.spsr
    );
    ensure!(
        r.spsr & 0xf == 0,
        "SPSR {:#x} is not EL0 after writing all ones",
        r.spsr
    );
    ensure!(
        r.spsr & 0x3c0 == 0,
        "SPSR {:#x} masks interrupts after writing all ones",
        r.spsr
    );
    Ok(())
}

fn tcb_read_registers_count_too_big(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let r = invoke(t, Label::TcbReadRegisters, &[0, 36], &[]);
    expect_err(r, "count 36", Error::RangeError)?;
    Ok(())
}

fn tcb_write_registers_count_too_big(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let mut mrs = [0u64; 38];
    mrs[1] = 36;
    expect_err(
        invoke(t, Label::TcbWriteRegisters, &mrs, &[]),
        "count 36",
        Error::RangeError,
    )?;
    Ok(())
}

fn tcb_write_registers_message_too_short(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let r = invoke(t, Label::TcbWriteRegisters, &[0, 10, 1, 2, 3], &[]);
    expect_err(r, "count 10 with 3 values", Error::TruncatedMessage)?;
    expect_err(
        invoke(t, Label::TcbWriteRegisters, &[0], &[]),
        "one register",
        Error::TruncatedMessage,
    )?;
    Ok(())
}

fn tcb_read_registers_can_suspend(env: &mut Env) -> Outcome {
    let t = env.spawn(count_forever, 0, 0)?;
    wait_board(B_COUNT, 2, "the thread did not count")?;
    let ctx = tcb::read_registers(t.tcb, true, UserContext::COUNT).ctx("read with suspend")?;
    let before = get(B_COUNT);
    settle(20);
    ensure!(
        get(B_COUNT) == before,
        "the thread kept running after ReadRegisters(suspend)"
    );
    ensure!(
        ctx.tpidr_el0 == t.ipc_buffer,
        "TPIDR_EL0 {:#x}, expected the IPC buffer {:#x}",
        ctx.tpidr_el0,
        t.ipc_buffer
    );
    ensure!(
        ctx.sp <= t.stack_top && ctx.sp > t.stack_top - 0x8000,
        "SP {:#x} outside the thread's stack (top {:#x})",
        ctx.sp,
        t.stack_top
    );
    Ok(())
}

fn tcb_copy_registers(env: &mut Env) -> Outcome {
    let a = env.alloc(ObjectType::Tcb)?;
    let b = env.alloc(ObjectType::Tcb)?;
    let c = sample_context();
    tcb::write_registers(a, false, UserContext::COUNT, &c).ctx("write")?;
    tcb::copy_registers(b, a, false, false, true, true).ctx("copy")?;
    let r = tcb::read_registers(b, false, UserContext::COUNT).ctx("read")?;
    ensure!(
        r.pc == c.pc && r.sp == c.sp,
        "frame registers not copied: pc {:#x} sp {:#x}",
        r.pc,
        r.sp
    );
    ensure!(
        r.x[0] == c.x[0] && r.x[30] == c.x[30],
        "integer registers not copied: x0 {:#x} x30 {:#x}",
        r.x[0],
        r.x[30]
    );
    let d = env.alloc(ObjectType::Tcb)?;
    tcb::copy_registers(d, a, false, false, true, false).ctx("copy frame only")?;
    let r = tcb::read_registers(d, false, UserContext::COUNT).ctx("read")?;
    ensure!(
        r.pc == c.pc && r.x[5] == 0,
        "frame-only copy: pc {:#x} x5 {:#x}",
        r.pc,
        r.x[5]
    );
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err_mr0(
        tcb::copy_registers(b, ep, false, false, true, true),
        "source an endpoint",
        Error::InvalidCapability,
        1,
    )
}

fn tcb_set_affinity_out_of_range(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let n = env.info.num_cores;
    expect_err(
        tcb::set_affinity(t, n),
        "core = number of cores",
        Error::RangeError,
    )?;
    expect_err(
        tcb::set_affinity(t, u64::MAX),
        "core u64::MAX",
        Error::RangeError,
    )?;
    tcb::set_affinity(t, n - 1).ctx("last core")
}

fn tcb_set_affinity_runs_on_another_core(env: &mut Env) -> Outcome {
    if env.info.num_cores < 2 {
        return Ok(());
    }
    let t = env.spawn_stopped(spin_count, 0)?;
    tcb::set_affinity(t.tcb, 1).ctx("affinity 1")?;
    tcb::resume(t.tcb).ctx("resume")?;
    // No yield: the counter can only move if the thread runs elsewhere.
    let mut spins = 0u64;
    while get(B_COUNT) < 1000 && spins < 200_000_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    ensure!(
        get(B_COUNT) >= 1000,
        "a thread on core 1 made no progress while core 0 spun"
    );
    tcb::suspend(t.tcb).ctx("suspend")
}

/// Spins until the board's counter reaches `target` (a thread on another
/// core moves it), at most a bounded number of times.
fn spin_until_count(target: u64) -> bool {
    let mut spins = 0u64;
    while get(B_COUNT) < target && spins < 200_000_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    get(B_COUNT) >= target
}

/// Reading and writing the registers of a thread that runs, at this
/// moment, on another core: the kernel has that core save them first, and
/// the thread resumes with what was written.
fn tcb_registers_of_a_thread_running_on_another_core(env: &mut Env) -> Outcome {
    if env.info.num_cores < 2 {
        return Ok(());
    }
    let t = env.spawn_stopped(spin_count, 0)?;
    tcb::set_affinity(t.tcb, 1).ctx("affinity 1")?;
    tcb::resume(t.tcb).ctx("resume")?;
    ensure!(spin_until_count(1000), "the thread on core 1 did not run");
    let mut ctx = tcb::read_registers(t.tcb, false, UserContext::COUNT).ctx("read")?;
    let spin = spin_count as *const () as u64;
    ensure!(
        ctx.pc >= spin && ctx.pc < spin + 0x100,
        "PC {:#x} is not in the spinning function at {spin:#x}",
        ctx.pc
    );
    // Redirect it: it must leave its loop for mark_and_stop(0xabcd).
    ctx.pc = mark_and_stop as *const () as u64;
    ctx.x[0] = 0xabcd;
    tcb::write_registers(t.tcb, false, UserContext::COUNT, &ctx).ctx("write")?;
    let mut spins = 0u64;
    while get(B_ARG) != 0xabcd && spins < 200_000_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    ensure!(
        get(B_ARG) == 0xabcd,
        "the running thread did not take the written registers (argument {:#x})",
        get(B_ARG)
    );
    tcb::suspend(t.tcb).ctx("suspend")
}

const B_LENGTH: usize = 3;

/// Receives on the endpoint `ep` for ever, recording each message's
/// length (registers only: it never touches its IPC buffer).
fn length_recorder(ep: u64) -> ! {
    loop {
        let r = tessera_rt::ipc::recv(ep);
        crate::harness::put(B_LENGTH, r.info.length as u64);
        bump(B_COUNT);
    }
}

/// A thread's IPC-buffer frame is destroyed behind its back (its
/// capability revoked and deleted) and the memory retyped as a new frame.
/// A long message to the thread must not land in that memory: the kernel
/// sees the TCB's IPC-buffer slot is empty and delivers only the message
/// registers in the CPU.
fn tcb_ipc_buffer_frame_destroyed_under_the_thread(env: &mut Env) -> Outcome {
    let ut = env.untyped(12)?;
    let f = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame4K, 0, f, 1)
        .ctx("the IPC-buffer frame")?;
    let va = env.va(1)?;
    env.res
        .map_frame(f, env.res.vspace, va, Rights::READ_WRITE)
        .ctx("map it")?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let t = env.spawn_stopped(length_recorder, ep)?;
    tcb::set_ipc_buffer(t.tcb, va, f).ctx("set the IPC buffer")?;
    tcb::resume(t.tcb).ctx("resume")?;
    let words: [u64; 10] = core::array::from_fn(|i| 0x1111 * (i as u64 + 1));
    tessera_rt::ipc::send(ep, tessera_rt::ipc::Outgoing::new(1, &words)).ctx("send 10")?;
    wait_board(B_COUNT, 1, "the first message did not arrive")?;
    ensure!(
        get(B_LENGTH) == 10,
        "first message length {}",
        get(B_LENGTH)
    );
    // Destroy the frame (the TCB's copy goes with the Revoke), reset the
    // Untyped, and make a new frame where it was.
    tessera_rt::invoke::vspace::unmap_frame(f).ctx("unmap")?;
    cnode::revoke(env.slot(f)).ctx("revoke the frame")?;
    cnode::delete(env.slot(f)).ctx("delete the frame")?;
    let g = env.free_slot()?;
    env.retype_into(ut, ObjectType::Frame4K, 0, g, 1)
        .ctx("a new frame in the same memory")?;
    let va2 = env.va(1)?;
    env.res
        .map_frame(g, env.res.vspace, va2, Rights::READ_WRITE)
        .ctx("map the new frame")?;
    tessera_rt::ipc::send(ep, tessera_rt::ipc::Outgoing::new(1, &words)).ctx("send 10 again")?;
    wait_board(B_COUNT, 2, "the second message did not arrive")?;
    for i in 0..512 {
        let w = crate::harness::peek(va2 + i * 8);
        ensure!(
            w == 0,
            "word {i} of the new frame is {w:#x}: the message landed there"
        );
    }
    ensure!(
        get(B_LENGTH) <= 4,
        "second message length {}, expected at most the 4 registers",
        get(B_LENGTH)
    );
    tcb::suspend(t.tcb).ctx("suspend")
}

fn tcb_unknown_label(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    expect_err(
        invoke_label(t, 999, &[0; 4], &[]),
        "label 999",
        Error::IllegalOperation,
    )?;
    expect_err(
        invoke(t, Label::FrameGetAddress, &[], &[]),
        "a Frame label",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn tcb_set_ipc_buffer_unaligned(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let va = env.pages(1)?;
    let frame = env.alloc(ObjectType::Frame4K)?;
    expect_err(
        tcb::set_ipc_buffer(t, va + 100, frame),
        "address +100",
        Error::AlignmentError,
    )?;
    tcb::set_ipc_buffer(t, va, frame).ctx("aligned address")
}

fn tcb_set_space_checks_caps(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err_mr0(
        tcb::set_space(t, 0, ep, 0, env.res.vspace),
        "CSpace an endpoint",
        Error::InvalidCapability,
        1,
    )?;
    tcb::set_space(t, 0, env.root(), 0, env.res.vspace).ctx("valid space")?;
    let ok = wait_until(1, || true);
    ensure!(ok, "unreachable");
    Ok(())
}
