//! The benchmarks whose windows start on one core and end on another, or
//! start at a timer deadline: `ipc_call_cross_core`, `notify_cross_core`
//! and `irq_latency`. Their timestamps come from the system counter
//! (`cntvct_el0`), which all cores share; each core's PMU cycle counter
//! has its own origin. Under `-icount shift=0` on a 1 GHz counter (QEMU 9
//! and later with `-cpu max`) a tick is a virtual nanosecond, as a cycle
//! is; figures are converted to nanoseconds for slower counters.
//!
//! The other threads live in the client's own address space (so they share
//! these statics) and run at the client's priority:
//! - the server, on core 1, receives on an endpoint with a bound
//!   notification: a Call (badge 0) it answers with ReplyRecv; a signal
//!   (badge [`SIGNAL_BADGE`]) it acknowledges by signalling the client back.
//!   Either way it stores its timestamp first.
//! - the interrupt handler, on core 2, claims that core's EL2 virtual
//!   timer (PPI 28), arms it [`IRQ_DELAY_NS`] ahead, and stamps the counter
//!   first thing when its notification wait returns.
//!
//! While a window is open the client is blocked (in Call, or in its wait
//! for the acknowledgement), so no spinning core adds instructions to the
//! virtual time being measured.

use core::sync::atomic::{AtomicU64, Ordering};

use tessera_rt::abi::{CPtr, InitialSlot, ObjectType, Rights, Syscall};
use tessera_rt::alloc::Resources;
use tessera_rt::invoke::irq::{self, Trigger};
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::thread::{self, Options};
use tessera_rt::{ipc, timer};

use crate::stats::Stats;
use crate::timing::{self, EMPTY_MESSAGE};
use crate::{SAMPLES, WARMUP, bail, setup};

/// The server's core and the interrupt handler's.
const SERVER_CORE: u64 = 1;
const IRQ_CORE: u64 = 2;
/// The badge of the client's capability to the server's notification.
const SIGNAL_BADGE: u64 = 1;
/// The badges the server's acknowledgement and the timer interrupt carry.
const ACK_BADGE: u64 = 2;
const IRQ_BADGE: u64 = 4;
/// How far ahead the handler arms its timer: far more than it runs
/// before it waits, so the deadline always finds it blocked.
const IRQ_DELAY_NS: u64 = 100_000;

/// The server's last timestamp and how many it has stored.
static SERVER_STAMP: AtomicU64 = AtomicU64::new(0);
static SERVER_ROUNDS: AtomicU64 = AtomicU64::new(0);
/// Capabilities the other threads use (set before they start).
static SERVER_EP: AtomicU64 = AtomicU64::new(0);
static CLIENT_ACK: AtomicU64 = AtomicU64::new(0);
static IRQ_HANDLER: AtomicU64 = AtomicU64::new(0);
static IRQ_NOTIFICATION: AtomicU64 = AtomicU64::new(0);
static IRQ_DONE: AtomicU64 = AtomicU64::new(0);
/// The handler's results: minimum and maximum latency in ticks, samples,
/// and an error code (0: none).
static IRQ_MIN: AtomicU64 = AtomicU64::new(u64::MAX);
static IRQ_MAX: AtomicU64 = AtomicU64::new(0);
static IRQ_COUNT: AtomicU64 = AtomicU64::new(0);
static IRQ_ERROR: AtomicU64 = AtomicU64::new(0);

/// Runs the three benchmarks; `res` is the client's allocator.
pub fn measure(res: &mut Resources) -> [Stats; 3] {
    let hz = timer::counter_hz();
    let server = start_server(res);
    let call = measure_call(server.endpoint, hz);
    let notify = measure_notify(server.signal, server.ack, hz);
    let irq = measure_irq(res, hz);
    [irq, call, notify]
}

/// The client's capabilities to the server.
struct Server {
    endpoint: CPtr,
    /// Badged capability to the server's bound notification.
    signal: CPtr,
    /// The client's own notification, which the server signals back.
    ack: CPtr,
}

/// A copy of `cap` with `badge`, so a wait on it reports a non-zero word.
fn mint(res: &mut Resources, cap: CPtr, badge: u64) -> CPtr {
    let slot = res
        .slots
        .alloc()
        .unwrap_or_else(|_| bail!("no slot for a badged capability"));
    let src = cnode::Slot::new(res.cnode, cap);
    if let Err(e) = cnode::mint(cnode::Slot::new(res.cnode, slot), src, Rights::ALL, badge) {
        bail!("badging a notification: {e}");
    }
    slot
}

fn alloc(res: &mut Resources, ty: ObjectType, what: &str) -> CPtr {
    res.alloc(ty, 0)
        .unwrap_or_else(|e| bail!("making the {what}: {e}"))
}

/// Starts `entry` on `core` at the client's priority, in its spaces.
fn start_thread(res: &mut Resources, entry: fn(u64) -> !, core: u64, what: &str) {
    let mut opts = Options::new(setup::PRIORITY);
    opts.start = false;
    let t = thread::spawn(res, entry, 0, opts).unwrap_or_else(|e| bail!("making the {what}: {e}"));
    if let Err(e) = tcb::set_affinity(t.tcb, core) {
        bail!("moving the {what} to core {core}: {e}");
    }
    if let Err(e) = tcb::resume(t.tcb) {
        bail!("starting the {what}: {e}");
    }
}

fn start_server(res: &mut Resources) -> Server {
    let endpoint = alloc(res, ObjectType::Endpoint, "cross-core endpoint");
    let notification = alloc(res, ObjectType::Notification, "server's notification");
    let ack = alloc(res, ObjectType::Notification, "client's notification");
    let signal = mint(res, notification, SIGNAL_BADGE);
    let ack = mint(res, ack, ACK_BADGE);
    SERVER_EP.store(endpoint, Ordering::Relaxed);
    CLIENT_ACK.store(ack, Ordering::Relaxed);
    let mut opts = Options::new(setup::PRIORITY);
    opts.start = false;
    let t = thread::spawn(res, server_main, 0, opts)
        .unwrap_or_else(|e| bail!("making the cross-core server: {e}"));
    if let Err(e) = tcb::bind_notification(t.tcb, notification) {
        bail!("binding the server's notification: {e}");
    }
    if let Err(e) = tcb::set_affinity(t.tcb, SERVER_CORE) {
        bail!("moving the server to core {SERVER_CORE}: {e}");
    }
    if let Err(e) = tcb::resume(t.tcb) {
        bail!("starting the cross-core server: {e}");
    }
    Server {
        endpoint,
        signal,
        ack,
    }
}

/// The server: stamps each receive, then answers it.
fn server_main(_: u64) -> ! {
    let ep = SERVER_EP.load(Ordering::Relaxed);
    let ack = CLIENT_ACK.load(Ordering::Relaxed);
    let mut s = timing::recv_then_counter(ep);
    loop {
        SERVER_STAMP.store(s.after, Ordering::Relaxed);
        SERVER_ROUNDS.fetch_add(1, Ordering::Release);
        s = if s.badge == SIGNAL_BADGE {
            let _ = ipc::signal(ack);
            timing::recv_then_counter(ep)
        } else {
            timing::counter_around(Syscall::ReplyRecv, ep)
        };
    }
}

/// The server's stamp for round `round` (its count of receives).
fn server_stamp(round: u64, what: &str) -> u64 {
    let rounds = SERVER_ROUNDS.load(Ordering::Acquire);
    if rounds != round {
        bail!("{what}: the server has {rounds} receives, expected {round}");
    }
    SERVER_STAMP.load(Ordering::Relaxed)
}

fn add(stats: &mut Stats, start: u64, end: u64, hz: u64, round: u64) {
    let (start, end) = (timer::ticks_to_ns(start, hz), timer::ticks_to_ns(end, hz));
    if !stats.add(start, end) {
        bail!(
            "{} round {round}: the window ends before it starts",
            stats.name
        );
    }
}

/// `ipc_call_cross_core`: the client's counter before Call to the server's
/// after its receive returns.
fn measure_call(ep: CPtr, hz: u64) -> Stats {
    let mut stats = Stats::new("ipc_call_cross_core");
    let base = SERVER_ROUNDS.load(Ordering::Acquire);
    for round in 1..=WARMUP + SAMPLES {
        let s = timing::counter_around(Syscall::Call, ep);
        if s.info != EMPTY_MESSAGE || s.badge != 0 {
            bail!(
                "ipc_call_cross_core round {round}: Call returned x0 {:#x}, x1 {:#x}",
                s.badge,
                s.info
            );
        }
        let end = server_stamp(base + round, "ipc_call_cross_core");
        if round > WARMUP {
            add(&mut stats, s.before, end, hz, round);
        }
    }
    stats
}

/// `notify_cross_core`: the client's counter before Send on the server's
/// notification to the server's after its receive returns.
fn measure_notify(signal: CPtr, ack: CPtr, hz: u64) -> Stats {
    let mut stats = Stats::new("notify_cross_core");
    let base = SERVER_ROUNDS.load(Ordering::Acquire);
    for round in 1..=WARMUP + SAMPLES {
        let s = timing::counter_around(Syscall::Send, signal);
        if s.info != 0 {
            bail!(
                "notify_cross_core round {round}: Send returned x1 {:#x}",
                s.info
            );
        }
        let r = ipc::wait(ack);
        if r.badge != ACK_BADGE {
            bail!(
                "notify_cross_core round {round}: acknowledged with word {:#x}",
                r.badge
            );
        }
        let end = server_stamp(base + round, "notify_cross_core");
        if round > WARMUP {
            add(&mut stats, s.before, end, hz, round);
        }
    }
    stats
}

/// `irq_latency`: from the timer's deadline to the handler's first
/// instruction after its wait returns. The handler reports through
/// statics and signals `done`.
fn measure_irq(res: &mut Resources, hz: u64) -> Stats {
    let handler = res
        .slots
        .alloc()
        .unwrap_or_else(|_| bail!("no slot for the IRQ handler"));
    if let Err(e) = irq::get(
        InitialSlot::IrqControl.cptr(),
        timer::INTID,
        Trigger::Level,
        IRQ_CORE,
        cnode::Slot::new(res.cnode, handler),
    ) {
        bail!("claiming the timer PPI of core {IRQ_CORE}: {e}");
    }
    let notification = alloc(res, ObjectType::Notification, "interrupt's notification");
    let badged = mint(res, notification, IRQ_BADGE);
    if let Err(e) = irq::set_notification(handler, badged) {
        bail!("binding the interrupt's notification: {e}");
    }
    let done = alloc(res, ObjectType::Notification, "completion notification");
    IRQ_HANDLER.store(handler, Ordering::Relaxed);
    IRQ_NOTIFICATION.store(notification, Ordering::Relaxed);
    IRQ_DONE.store(done, Ordering::Release);
    start_thread(res, irq_main, IRQ_CORE, "interrupt handler");
    let _ = ipc::wait(done);
    let error = IRQ_ERROR.load(Ordering::Acquire);
    if error != 0 {
        bail!("irq_latency: the handler failed (code {error})");
    }
    let mut stats = Stats::new("irq_latency");
    stats.min = timer::ticks_to_ns(IRQ_MIN.load(Ordering::Relaxed), hz);
    stats.max = timer::ticks_to_ns(IRQ_MAX.load(Ordering::Relaxed), hz);
    stats.count = IRQ_COUNT.load(Ordering::Relaxed);
    stats
}

/// The interrupt handler: WARMUP + SAMPLES timer interrupts, each armed
/// IRQ_DELAY_NS ahead, the latency of each wake-up kept.
fn irq_main(_: u64) -> ! {
    let handler = IRQ_HANDLER.load(Ordering::Relaxed);
    let notification = IRQ_NOTIFICATION.load(Ordering::Relaxed);
    let done = IRQ_DONE.load(Ordering::Acquire);
    let delay = timer::ns_to_ticks(IRQ_DELAY_NS, timer::counter_hz()).max(1);
    for round in 1..=WARMUP + SAMPLES {
        let deadline = timer::counter() + delay;
        timer::set_deadline(deadline);
        // Unmasks the line (masked since its last delivery).
        if irq::ack(handler).is_err() {
            fail_irq(1, done);
        }
        let s = timing::recv_then_counter(notification);
        timer::disable();
        if s.badge != IRQ_BADGE {
            fail_irq(2, done);
        }
        let Some(latency) = s.after.checked_sub(deadline) else {
            fail_irq(3, done);
        };
        if round > WARMUP {
            IRQ_MIN.fetch_min(latency, Ordering::Relaxed);
            IRQ_MAX.fetch_max(latency, Ordering::Relaxed);
            IRQ_COUNT.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = ipc::signal(done);
    park(notification)
}

/// Blocks for good on the interrupt's notification (the timer is off and
/// the line masked, so nothing signals it): a clean stop, where a fault
/// would be reported.
fn park(notification: CPtr) -> ! {
    loop {
        let _ = ipc::wait(notification);
    }
}

/// Records why the handler stopped (1: Ack failed, 2: a wake-up without
/// the badge, 3: woken before the deadline) and wakes the client.
fn fail_irq(code: u64, done: CPtr) -> ! {
    IRQ_ERROR.store(code, Ordering::Release);
    let _ = ipc::signal(done);
    park(IRQ_NOTIFICATION.load(Ordering::Relaxed))
}
