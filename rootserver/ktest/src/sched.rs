//! Scheduling: preemption by higher priorities, lower priorities waiting,
//! round robin on Yield and on the time slice.

use tessera_rt::abi::{InitialSlot, ObjectType, Rights};
use tessera_rt::invoke::tcb;
use tessera_rt::ipc;
use tessera_rt::syscall;

use crate::harness::{BOARD, Case, Context, Env, Outcome, bump, get, settle};
use crate::{case, ensure};

pub const CASES: &[Case] = &[
    case!(sched_higher_priority_runs_at_once),
    case!(sched_lower_priority_waits),
    case!(sched_round_robin_on_yield),
    case!(sched_round_robin_on_time_slice),
    case!(sched_signal_wakes_higher_priority_at_once),
    case!(sched_raising_priority_preempts),
];

const A: usize = 1;
const B: usize = 2;

/// Counts once, then blocks for good on the notification in `arg >> 8`.
fn mark_then_block(arg: u64) -> ! {
    bump((arg & 0xff) as usize);
    loop {
        ipc::wait(arg >> 8);
    }
}

/// Counts to a million, then blocks for good (so a thread above the suite
/// gives the processor back).
fn spin_then_block(arg: u64) -> ! {
    let i = (arg & 0xff) as usize;
    while get(i) < 1_000_000 {
        BOARD[i].fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }
    loop {
        ipc::wait(arg >> 8);
    }
}

fn blocker(env: &mut Env, i: usize) -> Result<u64, crate::harness::Reason> {
    let n = env.alloc(ObjectType::Notification)?;
    Ok(i as u64 | n << 8)
}

fn spin(i: u64) -> ! {
    loop {
        BOARD[i as usize].fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }
}

fn yielder(i: u64) -> ! {
    loop {
        bump(i as usize);
        syscall::yield_now();
    }
}

fn sched_higher_priority_runs_at_once(env: &mut Env) -> Outcome {
    let arg = blocker(env, A)?;
    env.spawn(mark_then_block, arg, 1)?;
    ensure!(
        get(A) == 1,
        "a higher-priority thread had not run when Resume returned"
    );
    Ok(())
}

fn sched_lower_priority_waits(env: &mut Env) -> Outcome {
    let arg = blocker(env, A)?;
    env.spawn(spin_then_block, arg, -1)?;
    settle(20);
    ensure!(
        get(A) == 0,
        "a lower-priority thread ran while the suite was runnable"
    );
    let me = InitialSlot::Tcb.cptr();
    tcb::set_priority(me, me, env.prio - 2).ctx("lowering the suite's priority")?;
    ensure!(
        get(A) > 0,
        "after the suite dropped below it, the thread had not run"
    );
    tcb::set_priority(me, me, env.prio).ctx("restoring the suite's priority")
}

fn sched_round_robin_on_yield(env: &mut Env) -> Outcome {
    env.spawn(yielder, A as u64, 0)?;
    env.spawn(yielder, B as u64, 0)?;
    settle(50);
    let (a, b) = (get(A), get(B));
    ensure!(
        a >= 10 && b >= 10,
        "equal threads yielding: counts {a} and {b} after 50 yields"
    );
    ensure!(
        a.abs_diff(b) <= 5,
        "yielding threads not taking turns: counts {a} and {b}"
    );
    Ok(())
}

fn sched_round_robin_on_time_slice(env: &mut Env) -> Outcome {
    env.spawn(spin, A as u64, 0)?;
    env.spawn(spin, B as u64, 0)?;
    settle(4);
    let (a, b) = (get(A), get(B));
    ensure!(
        a > 0 && b > 0,
        "two spinning threads of equal priority: counts {a} and {b}; the time slice did not rotate"
    );
    Ok(())
}

fn high_waiter(n: u64) -> ! {
    loop {
        ipc::wait(n);
        bump(A);
    }
}

fn sched_signal_wakes_higher_priority_at_once(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let s = env.mint(n, Rights::ALL, 1)?;
    env.spawn(high_waiter, n, 1)?;
    ensure!(get(A) == 0, "the waiter ran without a signal");
    ipc::signal(s).ctx("signal")?;
    ensure!(
        get(A) == 1,
        "a signalled higher-priority waiter had not run when Signal returned"
    );
    Ok(())
}

fn sched_raising_priority_preempts(env: &mut Env) -> Outcome {
    let arg = blocker(env, A)?;
    let t = env.spawn(spin_then_block, arg, -1)?;
    settle(5);
    ensure!(get(A) == 0, "a lower-priority thread ran");
    tcb::set_priority(t.tcb, InitialSlot::Tcb.cptr(), env.prio + 1).ctx("raising the thread")?;
    ensure!(
        get(A) > 0,
        "a thread raised above the suite had not run when SetPriority returned"
    );
    tcb::suspend(t.tcb).ctx("suspend")
}
