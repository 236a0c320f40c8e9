//! The benchmark program: started by a test kernel instead of the
//! rootserver (`tessera.rootserver=bench`), it measures one-way IPC and the
//! cheapest system call in virtual nanoseconds (PMU cycle counter read at
//! EL0, as seL4's sel4bench does), prints one line per benchmark,
//!
//! ```text
//! bench: <name> min=<n> max=<n> samples=<k>
//! ```
//!
//! and shuts the machine down (status 0; 1 after a line `bench: error:
//! <what>`). `cargo xtask bench` runs it under `-icount` and parses the
//! lines; `docs/benchmarks.md` says what each window holds.
//!
//! The first thread is the client. It spawns its own image a second time,
//! into a new VSpace and CSpace, in server mode (x0 = [`server::ARGUMENT`]),
//! at the same priority on the same core. The cross-core and interrupt
//! benchmarks use threads of its own on other cores (`cross`).
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

mod cross;
mod server;
mod setup;
mod shared;
mod stats;
mod timing;

use tessera_rt::abi::{BOOT_INFO_MAGIC, BootInfo, CPtr, Syscall};
use tessera_rt::{debug, ipc_buffer};

use shared::{STATE_FAILED, STATE_READY};
use stats::Stats;

tessera_rt::entry!(main);

/// Rounds run before samples are kept (caches, TLBs, branch state and
/// lazily made kernel state settle).
const WARMUP: u64 = 16;
/// Samples kept per benchmark.
const SAMPLES: u64 = 256;

/// Prints `bench: error: <what>` and stops the machine with status 1.
macro_rules! bail {
    ($($arg:tt)*) => {{
        tessera_rt::println!("bench: error: {}", format_args!($($arg)*));
        tessera_rt::debug::shutdown(1)
    }};
}
pub(crate) use bail;

fn main(arg: u64) -> ! {
    if arg == server::ARGUMENT {
        server::main();
    }
    // SAFETY: the kernel maps the boot-info page read-only at the address
    // it passes the first program in x0, for the program's lifetime.
    let info: &'static BootInfo = unsafe { &*(arg as *const BootInfo) };
    if info.magic != BOOT_INFO_MAGIC {
        bail!("bad boot info at {arg:#x}");
    }
    ipc_buffer::set(info.ipc_buffer);
    check_counter();
    let (ep, mut res) = setup::start_server(info);
    let (call, replyrecv) = measure_ipc(ep);
    let null = measure_null();
    let others = cross::measure(&mut res);
    call.print();
    replyrecv.print();
    null.print();
    for stats in &others {
        stats.print();
    }
    debug::shutdown(0)
}

/// The cycle counter must count (a kernel without `test-hooks` does not
/// open it to EL0, and the first read faults instead).
fn check_counter() {
    let first = timing::now();
    let second = timing::now();
    if second <= first {
        bail!("the PMU cycle counter does not advance ({first} then {second})");
    }
}

/// Round `round`'s report, checked: the server is alive and answered this
/// round's Call.
fn report(round: u64, reply: &timing::Stamped) -> shared::Snapshot {
    let r = shared::read();
    if r.state == STATE_FAILED {
        bail!(
            "the server's receive returned x0 {:#x}, x1 {:#x} (round {round})",
            r.error_badge,
            r.error_info
        );
    }
    if r.state != STATE_READY || r.round != round {
        bail!(
            "round {round}: the server reports state {} round {}",
            r.state,
            r.round
        );
    }
    if reply.info != timing::EMPTY_MESSAGE || reply.badge != 0 {
        bail!(
            "round {round}: Call returned x0 {:#x}, x1 {:#x} instead of an empty reply",
            reply.badge,
            reply.info
        );
    }
    r
}

/// `ipc_call` and `ipc_replyrecv`: WARMUP + SAMPLES + 1 Calls. After Call
/// `i` the page holds the server's end of window `i` of `ipc_call` and its
/// start of window `i - 1` of `ipc_replyrecv` (see `shared`), so the last
/// round only completes the last `ipc_replyrecv` sample.
fn measure_ipc(ep: CPtr) -> (Stats, Stats) {
    let mut call = Stats::new("ipc_call");
    let mut replyrecv = Stats::new("ipc_replyrecv");
    let kept = WARMUP + 1..=WARMUP + SAMPLES;
    // The client's end of the previous round's ReplyRecv window.
    let mut previous_end = 0;
    for round in 1..=WARMUP + SAMPLES + 1 {
        let s = timing::stamp_around(Syscall::Call, ep);
        let r = report(round, &s);
        if kept.contains(&round) && !call.add(s.before, r.call_end) {
            bail!("ipc_call round {round}: the window ends before it starts");
        }
        if kept.contains(&(round - 1)) && !replyrecv.add(r.replyrecv_start, previous_end) {
            bail!(
                "ipc_replyrecv round {}: the window ends before it starts",
                round - 1
            );
        }
        previous_end = s.after;
    }
    (call, replyrecv)
}

/// `syscall_null`: Yield while the server is blocked in ReplyRecv, so no
/// other thread of the client's priority is runnable and the kernel returns
/// to the client.
fn measure_null() -> Stats {
    let mut null = Stats::new("syscall_null");
    for round in 1..=WARMUP + SAMPLES {
        let s = timing::stamp_around(Syscall::Yield, 0);
        if round > WARMUP && !null.add(s.before, s.after) {
            bail!("syscall_null round {round}: the window ends before it starts");
        }
    }
    null
}
