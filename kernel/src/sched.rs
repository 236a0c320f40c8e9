//! The scheduler: per-core ready queues, fixed priorities, round robin at
//! equal priority. The running thread is not in a queue.
//!
//! Everything here runs under the kernel lock.

use crate::arch::aarch64::smp::MAX_CPUS;
use crate::object::object_ptr;
use crate::object::tcb::{TIME_SLICE_TICKS, Tcb};

const PRIORITIES: usize = 256;

struct CoreQueues {
    heads: [u64; PRIORITIES],
    tails: [u64; PRIORITIES],
    /// Bit p set when priority p has a thread: finding the highest is four
    /// word tests, not a scan of 256 lists.
    bitmap: [u64; PRIORITIES / 64],
    /// Bit w set when `bitmap[w]` is not zero, so the fastpath's question
    /// (anything ready at priority p or above?) takes two word tests.
    words: u64,
    /// The thread running on this core (TCB address, 0 when idle).
    current: u64,
}

/// Where the fields the Call fastpath (in assembly) uses are.
pub(crate) mod offsets {
    use super::CoreQueues;
    use core::mem::offset_of;
    pub const BITMAP: usize = offset_of!(CoreQueues, bitmap);
    pub const WORDS: usize = offset_of!(CoreQueues, words);
    pub const CURRENT: usize = offset_of!(CoreQueues, current);
}

static mut QUEUES: [CoreQueues; MAX_CPUS] = [const {
    CoreQueues {
        heads: [0; PRIORITIES],
        tails: [0; PRIORITIES],
        bitmap: [0; 4],
        words: 0,
        current: 0,
    }
}; MAX_CPUS];

/// Records this core's queues in its per-core data (at entry, before any
/// thread runs on it).
pub fn init_this_core() {
    let core = crate::arch::aarch64::percore::core_index();
    // SAFETY: only the address is taken; this core's own PerCore entry.
    unsafe {
        let q = core::ptr::addr_of_mut!(QUEUES[core % MAX_CPUS]) as u64;
        crate::arch::aarch64::percore::this().sched_queues = q;
    }
}

/// This core's queues, found through its per-core data.
#[inline(always)]
fn here() -> &'static mut CoreQueues {
    // SAFETY: `init_this_core` recorded this core's own entry of QUEUES
    // before any thread ran; under the kernel lock, one reference at a
    // time as in `queues`.
    unsafe { &mut *(crate::arch::aarch64::percore::this().sched_queues as *mut CoreQueues) }
}

/// The thread running on this core (the fastpath's view of [`current`]).
#[inline(always)]
pub fn current_here() -> u64 {
    here().current
}

fn queues(core: usize) -> &'static mut CoreQueues {
    // SAFETY: under the kernel lock, and callers never hold two of these
    // references at once (each function takes one and drops it).
    unsafe { &mut *core::ptr::addr_of_mut!(QUEUES[core % MAX_CPUS]) }
}

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: queue links and `current` only ever hold live TCBs: a TCB is
    // taken out of its queue before it is destroyed.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// The thread running on `core` (0 when idle).
pub fn current(core: usize) -> u64 {
    queues(core).current
}

/// Puts `thread` at the tail of its priority's queue on its core.
pub fn enqueue(thread: u64) {
    let t = tcb(thread);
    if t.queued {
        return;
    }
    let (core, prio) = (t.core as usize, t.priority as usize);
    let q = queues(core);
    let tail = q.tails[prio];
    t.sched_prev = tail;
    t.sched_next = 0;
    t.queued = true;
    if tail == 0 {
        q.heads[prio] = thread;
    } else {
        tcb(tail).sched_next = thread;
    }
    q.tails[prio] = thread;
    q.bitmap[prio / 64] |= 1 << (prio % 64);
    q.words |= 1 << (prio / 64);
}

/// Takes `thread` out of its ready queue, if it is in one.
pub fn dequeue(thread: u64) {
    let t = tcb(thread);
    if !t.queued {
        return;
    }
    let (core, prio) = (t.core as usize, t.priority as usize);
    let (prev, next) = (t.sched_prev, t.sched_next);
    t.queued = false;
    t.sched_next = 0;
    t.sched_prev = 0;
    let q = queues(core);
    if prev == 0 {
        q.heads[prio] = next;
    } else {
        tcb(prev).sched_next = next;
    }
    if next == 0 {
        q.tails[prio] = prev;
    } else {
        tcb(next).sched_prev = prev;
    }
    if q.heads[prio] == 0 {
        q.bitmap[prio / 64] &= !(1 << (prio % 64));
        if q.bitmap[prio / 64] == 0 {
            q.words &= !(1 << (prio / 64));
        }
    }
}

/// Whether this core has a ready thread at `priority` or above: the
/// fastpath's test, without the search for which.
#[inline(always)]
pub fn any_ready_here_at_or_above(priority: u8) -> bool {
    let q = here();
    let (word, bit) = (usize::from(priority) / 64, usize::from(priority) % 64);
    q.words >> word > 1 || q.bitmap[word] >> bit != 0
}

/// Makes `thread` (runnable, in no queue) the running thread of this core,
/// whose previous thread has stopped being runnable (the fastpath).
#[inline(always)]
pub fn set_current_here(thread: u64) {
    here().current = thread;
}

/// The highest priority with a ready thread on `core`.
fn highest_ready(core: usize) -> Option<(usize, u64)> {
    let q = queues(core);
    (0..q.bitmap.len()).rev().find_map(|w| {
        let word = q.bitmap[w];
        (word != 0).then(|| {
            let prio = w * 64 + 63 - word.leading_zeros() as usize;
            (prio, q.heads[prio])
        })
    })
}

/// Decides what `core` runs next and makes it current; returns it (0 for
/// idle). The current thread keeps the core unless it stopped being
/// runnable, moved to another core, a higher priority is ready, or it asked
/// to go behind its equals (Yield, end of time slice) and one is ready.
pub fn choose(core: usize) -> u64 {
    let cur = current(core);
    let best = highest_ready(core);
    if cur != 0 {
        let c = tcb(cur);
        let keep = c.is_runnable()
            && c.core as usize == core
            && match best {
                None => true,
                Some((prio, _)) => {
                    prio < c.priority as usize || (prio == c.priority as usize && !c.requeue)
                }
            };
        c.requeue = false;
        if keep {
            return cur;
        }
        if c.is_runnable() {
            enqueue(cur);
        }
    }
    let next = highest_ready(core).map_or(0, |(_, t)| t);
    if next != 0 {
        dequeue(next);
    }
    queues(core).current = next;
    next
}

/// Makes `thread` runnable-from-now on its core's queue (it was blocked or
/// inactive). The caller has set its state to Running.
pub fn make_ready(thread: u64) {
    let t = tcb(thread);
    let core = t.core as usize;
    if current(core) != thread {
        enqueue(thread);
        if core != crate::arch::aarch64::cpu::core_index() {
            // The other core decides at its next kernel exit; make that now.
            crate::arch::aarch64::gic::send_sgi(
                crate::arch::aarch64::smp::mpidr_of(core),
                crate::arch::aarch64::gic::RESCHEDULE_SGI,
            );
        }
    }
}

/// Takes `thread` off the core: out of its queue, and no longer current.
/// The caller has set its state to something not runnable.
pub fn remove(thread: u64) {
    dequeue(thread);
    let here = crate::arch::aarch64::cpu::core_index();
    for core in 0..MAX_CPUS {
        let q = queues(core);
        if q.current == thread {
            q.current = 0;
            if core != here {
                stop_remote(core);
            }
        }
    }
}

/// Makes every other core that may be running user code in the address
/// space with root table `root` leave user level (the space is being
/// destroyed): when they return, `kernel_entry::run` finds their thread's
/// VSpace capability gone and gives it no address space.
pub fn leave_space(root: u64) {
    use crate::arch::aarch64::percore;
    const ROOT_BITS: u64 = 0x0000_ffff_ffff_f000;
    let here = crate::arch::aarch64::cpu::core_index();
    for core in 0..crate::arch::aarch64::smp::core_count() {
        if core != here && percore::ttbr0_of(core) & ROOT_BITS == root {
            stop_remote(core);
        }
    }
}

/// Makes sure `thread`'s saved registers are its real ones before the
/// caller reads or writes them: if it is running on another core, that
/// core is made to enter the kernel (saving them) and wait for the lock,
/// which this core holds. The thread stays current there and resumes with
/// whatever registers its TCB holds when the lock is released.
pub fn stall(thread: u64) {
    let here = crate::arch::aarch64::cpu::core_index();
    for core in 0..MAX_CPUS {
        if core != here && queues(core).current == thread {
            stop_remote(core);
        }
    }
}

/// Makes `core`, which was running a thread that is no longer its current
/// one (or is being stalled, see [`stall`]), leave user level: it takes the reschedule SGI, saves the thread's
/// registers and waits for the kernel lock, which this core holds. Until it
/// has, the thread's TCB must stay intact, so this waits (bounded by the
/// other core's interrupt latency: user level runs with IRQs unmasked).
fn stop_remote(core: usize) {
    use crate::arch::aarch64::{gic, percore, smp};
    gic::send_sgi(smp::mpidr_of(core), gic::RESCHEDULE_SGI);
    while percore::in_user(core) {
        core::hint::spin_loop();
    }
}

/// A timer tick on `core`: the current thread's slice shrinks, and at its
/// end it goes behind its equals.
pub fn tick(core: usize) {
    let cur = current(core);
    if cur == 0 {
        return;
    }
    let t = tcb(cur);
    t.time_slice = t.time_slice.saturating_sub(1);
    if t.time_slice == 0 {
        t.time_slice = TIME_SLICE_TICKS;
        t.requeue = true;
    }
}

/// Yield: the current thread goes behind its equals.
pub fn yield_current(core: usize) {
    let cur = current(core);
    if cur != 0 {
        tcb(cur).requeue = true;
    }
}
