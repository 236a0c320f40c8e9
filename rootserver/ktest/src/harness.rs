//! What every case uses: the failure reason, per-case resources, a board of
//! shared words for helper threads, bounded waiting, and checks on replies.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};

use tessera_rt::abi::{
    BootInfo, CPtr, Error, InitialSlot, ObjectType, PAGE_BITS, Rights, SlotRange,
};
use tessera_rt::alloc::Resources;
use tessera_rt::invoke::cnode::{self, Slot};
use tessera_rt::invoke::{tcb, untyped, vspace};
use tessera_rt::ipc::Received;
use tessera_rt::thread::{self, Options, Thread};
use tessera_rt::{InvResult, InvocationError, syscall};

/// Why a case failed: one line of text, truncated to fit.
pub struct Reason {
    buf: [u8; 240],
    len: usize,
}

impl Reason {
    /// The text.
    pub fn as_str(&self) -> &str {
        match core::str::from_utf8(&self.buf[..self.len]) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&self.buf[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl Write for Reason {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = if b == b'\n' { b' ' } else { b };
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// A reason from formatted text.
pub fn reason(args: fmt::Arguments<'_>) -> Reason {
    let mut r = Reason {
        buf: [0; 240],
        len: 0,
    };
    let _ = r.write_fmt(args);
    r
}

/// What a case returns.
pub type Outcome = Result<(), Reason>;

/// Fails the case with a formatted reason.
#[macro_export]
macro_rules! fail {
    ($($t:tt)*) => { return Err($crate::harness::reason(format_args!($($t)*))) };
}

/// Fails the case unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($c:expr, $($t:tt)*) => { if !$c { $crate::fail!($($t)*); } };
}

/// Adds "what" to an error on its way out of a case.
pub trait Context<T> {
    /// The error, prefixed by `what`.
    fn ctx(self, what: &str) -> Result<T, Reason>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, Reason> {
        self.map_err(|e| reason(format_args!("{what}: {e}")))
    }
}

/// Expects an invocation to fail with `want`; returns the error's details.
pub fn expect_err<T>(r: InvResult<T>, what: &str, want: Error) -> Result<[u64; 2], Reason> {
    match r {
        Ok(_) => Err(reason(format_args!("{what}: succeeded, expected {want:?}"))),
        Err(e) if e.error == want && e.label == want as u64 => Ok(e.details),
        Err(e) => Err(reason(format_args!("{what}: {e}, expected {want:?}"))),
    }
}

/// Expects `want` with exact details.
pub fn expect_err_details<T>(
    r: InvResult<T>,
    what: &str,
    want: Error,
    details: [u64; 2],
) -> Outcome {
    let got = expect_err(r, what, want)?;
    ensure!(
        got == details,
        "{what}: {want:?} with details [{:#x}, {:#x}], expected [{:#x}, {:#x}]",
        got[0],
        got[1],
        details[0],
        details[1]
    );
    Ok(())
}

/// Expects `want` with MR0 = `mr0`.
pub fn expect_err_mr0<T>(r: InvResult<T>, what: &str, want: Error, mr0: u64) -> Outcome {
    let got = expect_err(r, what, want)?;
    ensure!(
        got[0] == mr0,
        "{what}: {want:?} with MR0 {:#x}, expected {mr0:#x}",
        got[0]
    );
    Ok(())
}

/// Expects a system call's reply label to be the error `want`.
pub fn expect_label(r: &Received, what: &str, want: Error) -> Result<[u64; 2], Reason> {
    expect_err(r.as_result(), what, want)
}

/// Words shared between a case and its helper threads (all in one address
/// space, or the same frames mapped into another). Reset before each case.
pub static BOARD: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

/// Reads board word `i`.
pub fn get(i: usize) -> u64 {
    BOARD[i].load(Ordering::SeqCst)
}

/// Writes board word `i`.
pub fn put(i: usize, v: u64) {
    BOARD[i].store(v, Ordering::SeqCst);
}

/// Adds to board word `i`.
pub fn bump(i: usize) -> u64 {
    BOARD[i].fetch_add(1, Ordering::SeqCst) + 1
}

/// Yields up to `limit` times until `cond` holds.
pub fn wait_until(limit: u32, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..limit {
        if cond() {
            return true;
        }
        syscall::yield_now();
    }
    cond()
}

/// Yields until board word `i` is at least `v`; fails with `what`.
pub fn wait_board(i: usize, v: u64, what: &str) -> Outcome {
    if wait_until(DEFAULT_WAIT, || get(i) >= v) {
        Ok(())
    } else {
        fail!("{what} (board[{i}] = {:#x}, waited for {v:#x})", get(i))
    }
}

/// Yields this many times at most when waiting for another thread.
pub const DEFAULT_WAIT: u32 = 400;

/// Lets other threads run for a while (yields `n` times).
pub fn settle(n: u32) {
    for _ in 0..n {
        syscall::yield_now();
    }
}

/// Polls `receive` (an NBRecv-like call) with yields until it returns
/// something other than the empty answer (label, length and badge 0).
pub fn poll_for(what: &str, mut receive: impl FnMut() -> Received) -> Result<Received, Reason> {
    for _ in 0..DEFAULT_WAIT {
        let r = receive();
        if r.badge != 0 || r.info.label != 0 || r.info.length != 0 {
            return Ok(r);
        }
        syscall::yield_now();
    }
    fail!("{what}: nothing arrived")
}

/// Start of the case virtual-address windows (one GiB per case) in the
/// suite's own VSpace.
pub const CASE_VA_BASE: u64 = 0x10_0000_0000;
/// Size of a case's window.
pub const CASE_VA_SIZE: u64 = 1 << 30;
/// log2 of the Untyped each case allocates from.
pub const CASE_UNTYPED_BITS: u8 = 23;

/// One case's resources: the suite's CSpace and VSpace, a range of slots
/// and an Untyped that are cleaned up after it.
pub struct Env {
    /// Slots, Untyped memory, virtual addresses.
    pub res: Resources,
    /// The boot-info page.
    pub info: &'static BootInfo,
    /// The suite's (main thread's) priority; helpers default to it.
    pub prio: u64,
    /// The case's Untyped (everything the case makes comes from it).
    pub case_ut: CPtr,
    /// Threads started by the case (suspended after it).
    pub threads: [CPtr; 24],
    /// How many.
    pub nthreads: usize,
}

impl Env {
    /// The root CNode.
    pub fn root(&self) -> CPtr {
        self.res.cnode
    }

    /// A slot of the root CNode, by its number.
    pub fn slot(&self, index: CPtr) -> Slot {
        Slot::new(self.res.cnode, index)
    }

    /// A free slot.
    pub fn free_slot(&mut self) -> Result<CPtr, Reason> {
        self.res
            .slots
            .alloc()
            .map_err(|_| reason(format_args!("out of slots")))
    }

    /// `n` consecutive free slots.
    pub fn free_slots(&mut self, n: u64) -> Result<CPtr, Reason> {
        self.res
            .slots
            .alloc_range(n)
            .map_err(|_| reason(format_args!("out of slots ({n} wanted)")))
    }

    /// A new object.
    pub fn alloc(&mut self, ty: ObjectType) -> Result<CPtr, Reason> {
        let size = match ty {
            ObjectType::CNode => 4,
            ObjectType::Untyped => 12,
            _ => 0,
        };
        self.alloc_sized(ty, size)
    }

    /// A new object of a variable size.
    pub fn alloc_sized(&mut self, ty: ObjectType, size_bits: u64) -> Result<CPtr, Reason> {
        self.res
            .alloc(ty, size_bits)
            .map_err(|e| reason(format_args!("making a {ty:?} (size {size_bits}): {e}")))
    }

    /// A new Untyped of 2^bits bytes, its physical address unknown.
    pub fn untyped(&mut self, bits: u64) -> Result<CPtr, Reason> {
        self.alloc_sized(ObjectType::Untyped, bits)
    }

    /// A copy of `src` with `rights` in a new slot.
    pub fn copy(&mut self, src: CPtr, rights: Rights) -> Result<CPtr, Reason> {
        let dest = self.free_slot()?;
        cnode::copy(self.slot(dest), self.slot(src), rights).ctx("copying a capability")?;
        Ok(dest)
    }

    /// A badged copy of `src` with `rights` in a new slot.
    pub fn mint(&mut self, src: CPtr, rights: Rights, badge: u64) -> Result<CPtr, Reason> {
        let dest = self.free_slot()?;
        cnode::mint(self.slot(dest), self.slot(src), rights, badge).ctx("minting a capability")?;
        Ok(dest)
    }

    /// A new VSpace with an ASID from the suite's pool.
    pub fn vspace(&mut self) -> Result<CPtr, Reason> {
        let vs = self.alloc(ObjectType::VSpace)?;
        vspace::assign_asid(InitialSlot::AsidPool.cptr(), vs).ctx("assigning an ASID")?;
        Ok(vs)
    }

    /// Reserves `pages` of the case's window of the suite's VSpace.
    pub fn va(&mut self, pages: u64) -> Result<u64, Reason> {
        self.res
            .reserve_va(pages, PAGE_BITS)
            .ctx("reserving addresses")
    }

    /// Fresh read-write pages in the suite's VSpace.
    pub fn pages(&mut self, pages: u64) -> Result<u64, Reason> {
        self.res.map_new_pages(pages).ctx("mapping pages")
    }

    /// Starts `entry(arg)` in the suite's CSpace and VSpace at the suite's
    /// priority plus `delta`.
    pub fn spawn(&mut self, entry: fn(u64) -> !, arg: u64, delta: i64) -> Result<Thread, Reason> {
        let prio = self.prio.saturating_add_signed(delta);
        self.spawn_with(entry, arg, Options::new(prio))
    }

    /// Makes a thread for `entry(arg)` at the suite's priority without
    /// starting it (the case changes it, then resumes it).
    pub fn spawn_stopped(&mut self, entry: fn(u64) -> !, arg: u64) -> Result<Thread, Reason> {
        let opts = Options {
            start: false,
            ..Options::new(self.prio)
        };
        self.spawn_with(entry, arg, opts)
    }

    /// Starts `entry(arg)` with explicit options.
    pub fn spawn_with(
        &mut self,
        entry: fn(u64) -> !,
        arg: u64,
        opts: Options,
    ) -> Result<Thread, Reason> {
        // Recorded before it runs, so it is suspended even if setup fails
        // half-way.
        let t = thread::spawn(
            &mut self.res,
            entry,
            arg,
            Options {
                start: false,
                ..opts
            },
        )
        .ctx("starting a thread")?;
        if let Some(slot) = self.threads.get_mut(self.nthreads) {
            *slot = t.tcb;
            self.nthreads += 1;
        }
        if opts.start {
            tcb::resume(t.tcb).ctx("resuming a new thread")?;
        }
        Ok(t)
    }

    /// Retypes `count` objects of `ty` from `ut` into slots from `first`.
    pub fn retype_into(
        &self,
        ut: CPtr,
        ty: ObjectType,
        size_bits: u64,
        first: CPtr,
        count: u64,
    ) -> InvResult<()> {
        untyped::retype(
            ut,
            ty,
            size_bits,
            untyped::Destination::root(self.root(), first),
            count,
        )
    }
}

/// Whether `slot` of the root CNode holds a capability: a copy to a
/// scratch slot succeeds (and is undone).
pub fn occupied(env: &mut Env, slot: CPtr) -> Result<bool, Reason> {
    let scratch = env.free_slot()?;
    let r = cnode::copy(env.slot(scratch), env.slot(slot), Rights::ALL);
    match r {
        Ok(()) => {
            cnode::delete(env.slot(scratch)).ctx("deleting a probe copy")?;
            env.res.slots.free(scratch);
            Ok(true)
        }
        Err(InvocationError {
            error: Error::FailedLookup,
            ..
        }) => {
            env.res.slots.free(scratch);
            Ok(false)
        }
        // Not copyable (an Untyped with children, a reply cap, ...), but
        // there.
        Err(_) => {
            env.res.slots.free(scratch);
            Ok(true)
        }
    }
}

/// The slot range cases allocate from.
pub fn case_slots(info: &BootInfo, reserved: u64) -> SlotRange {
    SlotRange {
        start: info.empty.start + reserved,
        end: info.empty.end,
    }
}

/// One test case.
pub struct Case {
    /// Its name in `ktest: PASS <name>`.
    pub name: &'static str,
    /// The test.
    pub run: fn(&mut Env) -> Outcome,
}

/// A table entry: `case!(name)` for a function `name`.
#[macro_export]
macro_rules! case {
    ($f:ident) => {
        $crate::harness::Case {
            name: stringify!($f),
            run: $f,
        }
    };
}

/// Reads a word of memory.
pub fn peek(va: u64) -> u64 {
    // SAFETY: callers pass addresses of pages they mapped readable.
    unsafe { core::ptr::read_volatile(va as *const u64) }
}

/// Writes a word of memory.
pub fn poke(va: u64, v: u64) {
    // SAFETY: callers pass addresses of pages they mapped writable.
    unsafe { core::ptr::write_volatile(va as *mut u64, v) }
}

/// Where a helper thread ends: yielding forever (the case's clean-up
/// suspends it), so it leaves no fault in the log.
pub fn park() -> ! {
    loop {
        syscall::yield_now();
    }
}
