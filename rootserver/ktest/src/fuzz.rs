//! The fuzz case: an untrusted thread with its own CSpace (a few caps) and
//! VSpace makes 100,000 seeded pseudo-random system calls; the suite,
//! holding the other ends of its endpoints, unblocks it and restarts it
//! after each fault. Then a second case checks that IPC and Retype still
//! work.

use core::sync::atomic::{AtomicU64, Ordering};

use tessera_rt::abi::{FaultLabel, ObjectType, Rights};
use tessera_rt::invoke::cnode::{self, Slot};
use tessera_rt::invoke::tcb;
use tessera_rt::ipc::{self, Outgoing};
use tessera_rt::syscall::{self, Args};
use tessera_rt::thread::{self, Options, Thread};
use tessera_rt::{ipc_buffer, println};

use crate::harness::{Case, Context, Env, Outcome, Reason, get, park, put, wait_board};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(fuzz_random_system_calls),
    case!(fuzz_afterwards_ipc_and_retype_work),
];

/// System calls the fuzz thread makes.
const CALLS: u64 = 100_000;
/// The seed (fixed, so a failure can be replayed).
const SEED: u64 = 0x7e55_e7a5_eed0_2025;
const FAULT_BADGE: u64 = 0xf022;
/// Radix of the fuzz thread's CSpace root; a 56-bit guard makes its slot
/// numbers plain capability pointers.
const RADIX: u64 = 8;

static STATE: AtomicU64 = AtomicU64::new(0);
static COUNT: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);

/// xorshift64* step.
fn next() -> u64 {
    let mut x = STATE.load(Ordering::Relaxed);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn small_or_any() -> u64 {
    let r = next();
    if r & 1 == 0 { (r >> 1) % 64 } else { next() }
}

fn cptr() -> u64 {
    let r = next();
    match r % 4 {
        0 => (r >> 2) % 10,
        1 => (r >> 2) % 16,
        2 => (r >> 2) % 300,
        _ => next(),
    }
}

fn syscall_number() -> u64 {
    let r = next();
    if r % 10 < 8 {
        return (r >> 4) % 8;
    }
    // Invalid numbers, never the debug calls (64–66: console, shutdown).
    let n = match (r >> 4) % 3 {
        0 => 8 + (r >> 8) % 56,
        1 => 67 + (r >> 8) % 200,
        _ => next(),
    };
    if (64..=66).contains(&n) { n + 3 } else { n }
}

/// The untrusted thread: its state lives in statics (shared with the
/// suite through the same frames), so a restart carries on.
fn fuzz_main(_: u64) -> ! {
    while COUNT.load(Ordering::Relaxed) < CALLS {
        let number = syscall_number();
        let label = if next() & 1 == 0 {
            next() % 50
        } else {
            next() >> 12
        };
        let info = label << 12 | (next() & 0xfff);
        let args = Args {
            x0: cptr(),
            x1: info,
            mr: [
                small_or_any(),
                small_or_any(),
                small_or_any(),
                small_or_any(),
            ],
            x6: cptr(),
        };
        ipc_buffer::with(|b| {
            for w in b.msg[4..12].iter_mut() {
                *w = small_or_any();
            }
            for c in b.caps_or_badges.iter_mut() {
                *c = cptr();
            }
            b.receive_cnode = cptr();
            b.receive_index = next() % 32;
            b.receive_depth = next() % 70;
        });
        COUNT.fetch_add(1, Ordering::Relaxed);
        syscall::raw_number(number, args);
    }
    DONE.store(1, Ordering::SeqCst);
    park()
}

struct Fuzz {
    thread: Thread,
    fault_ep: u64,
    ep: u64,
    signal: u64,
}

fn setup(env: &mut Env) -> Result<Fuzz, Reason> {
    let cn = env.alloc_sized(ObjectType::CNode, RADIX)?;
    let vs = env.vspace()?;
    crate::image::map_into(env, vs)?;
    let fault_ep = env.alloc(ObjectType::Endpoint)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let n = env.alloc(ObjectType::Notification)?;
    let signal = env.mint(n, Rights::ALL, 0x9)?;
    let ut = env.untyped(16)?;
    let scratch = env.alloc_sized(ObjectType::CNode, 4)?;
    let frame = env.alloc(ObjectType::Frame4K)?;
    let at = |i: u64| Slot {
        root: cn,
        index: i,
        depth: RADIX,
    };
    cnode::mint(at(1), env.slot(fault_ep), Rights::ALL, FAULT_BADGE).ctx("fault endpoint")?;
    cnode::mint(at(2), env.slot(ep), Rights::ALL, 0x77).ctx("endpoint")?;
    cnode::mint(at(3), env.slot(n), Rights::ALL, 0x5).ctx("notification")?;
    cnode::move_(at(4), env.slot(ut)).ctx("untyped")?;
    cnode::copy(at(5), env.slot(scratch), Rights::ALL).ctx("scratch CNode")?;
    cnode::copy(at(6), env.slot(frame), Rights::ALL).ctx("frame")?;
    cnode::copy(at(7), env.slot(vs), Rights::ALL).ctx("VSpace")?;
    cnode::mint(at(8), env.slot(ep), Rights::READ, 0x78).ctx("read-only endpoint")?;
    let opts = Options {
        fault_ep: 1,
        vspace: vs,
        cspace: cn,
        cspace_data: 64 - RADIX,
        start: false,
        ..Options::new(env.prio)
    };
    let thread = env.spawn_with(fuzz_main, 0, opts)?;
    Ok(Fuzz {
        thread,
        fault_ep,
        ep,
        signal,
    })
}

fn restart(f: &Fuzz) -> Outcome {
    let t = &f.thread;
    tcb::suspend(t.tcb).ctx("suspending the fuzz thread")?;
    let ctx = thread::initial_context(fuzz_main, 0, t.stack_top, t.ipc_buffer);
    tcb::write_registers(t.tcb, false, tessera_rt::abi::UserContext::COUNT, &ctx)
        .ctx("resetting the fuzz thread")?;
    tcb::resume(t.tcb).ctx("resuming the fuzz thread")
}

fn fuzz_random_system_calls(env: &mut Env) -> Outcome {
    println!("ktest: fuzz seed {SEED:#x}");
    STATE.store(SEED, Ordering::SeqCst);
    COUNT.store(0, Ordering::SeqCst);
    DONE.store(0, Ordering::SeqCst);
    let f = setup(env)?;
    tcb::resume(f.thread.tcb).ctx("starting the fuzz thread")?;
    let (mut faults, mut restarts, mut stall, mut last) = (0u64, 0u64, 0u64, 0u64);
    for _ in 0..50_000_000u64 {
        if DONE.load(Ordering::SeqCst) == 1 {
            break;
        }
        let c = COUNT.load(Ordering::Relaxed);
        if c == last {
            stall += 1;
        } else {
            last = c;
            stall = 0;
        }
        let r = ipc::nb_recv(f.fault_ep);
        if r.badge == FAULT_BADGE {
            faults += 1;
            if r.info.label == FaultLabel::UnknownSyscall as u64 && r.info.length >= 12 {
                let ctx =
                    thread::initial_context(fuzz_main, 0, f.thread.stack_top, f.thread.ipc_buffer);
                let regs = [ctx.x[0], ctx.x[1], 0, 0, 0, 0, 0, 0, ctx.pc, ctx.sp, 0, 0];
                ipc::reply(Outgoing::new(0, &regs));
            } else {
                restart(&f)?;
            }
            continue;
        }
        let m = ipc::nb_recv(f.ep);
        if m.badge != 0 {
            ipc::reply(Outgoing::new(0, &[]));
        }
        let _ = ipc::nb_send(f.ep, Outgoing::new(1, &[]));
        let _ = ipc::signal(f.signal);
        if stall > 3000 {
            restarts += 1;
            ensure!(
                restarts < 2000,
                "the fuzz thread stalls again and again (at call {c}, {faults} faults)"
            );
            restart(&f)?;
            stall = 0;
        }
        syscall::yield_now();
    }
    let _ = tcb::suspend(f.thread.tcb);
    let done = COUNT.load(Ordering::SeqCst);
    println!(
        "ktest: fuzz: {done} calls, {faults} faults handled, {restarts} restarts after stalls"
    );
    if DONE.load(Ordering::SeqCst) != 1 {
        fail!("the fuzz thread made only {done} of {CALLS} calls");
    }
    Ok(())
}

const B_DONE: usize = 1;
const B_VALUE: usize = 2;

fn echo_server(ep: u64) -> ! {
    let mut r = ipc::recv(ep);
    loop {
        r = ipc::reply_recv(ep, Outgoing::new(0, &[r.regs[0] + 1]));
    }
}

fn echo_client(ep: u64) -> ! {
    let r = ipc::call(ep, Outgoing::new(5, &[41]));
    put(B_VALUE, r.regs[0]);
    put(B_DONE, 1);
    park()
}

fn fuzz_afterwards_ipc_and_retype_work(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(echo_server, ep, 0)?;
    env.spawn(echo_client, ep, 0)?;
    wait_board(B_DONE, 1, "no IPC round trip after the fuzz run")?;
    ensure!(
        get(B_VALUE) == 42,
        "the round trip returned {}",
        get(B_VALUE)
    );
    let ut = env.untyped(16)?;
    let s = env.free_slots(4)?;
    env.retype_into(ut, ObjectType::Notification, 0, s, 4)
        .ctx("retype after the fuzz run")?;
    ipc::signal(s + 3).ctx("signal a new notification")
}
