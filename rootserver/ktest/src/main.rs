//! The kernel test suite: started by the kernel instead of the rootserver
//! (`tessera.rootserver=ktest`), it runs every case in turn, each with its
//! own Untyped, slots and addresses, prints `ktest: PASS <name>` or
//! `ktest: FAIL <name>: <reason>`, then `ktest: N passed, M failed`, and
//! shuts the machine down (status 0 only if nothing failed).
#![no_std]
#![no_main]
// Reasons are fixed-size text buffers: there is no heap to box them in.
#![allow(clippy::result_large_err)]

mod cnode;
mod delete;
mod fault;
mod fuzz;
mod harness;
mod image;
mod ipc;
mod irq;
mod notification;
mod process;
mod sched;
mod tcb;
mod untyped;
mod vspace;

use tessera_rt::abi::{BOOT_INFO_MAGIC, BootInfo, InitialSlot, ObjectType, SlotRange};
use tessera_rt::alloc::{Resources, UntypedAllocator};
use tessera_rt::invoke::cnode as cn;
use tessera_rt::invoke::tcb as tcbi;
use tessera_rt::slots::SlotAllocator;
use tessera_rt::{debug, ipc_buffer, println};

use harness::{BOARD, CASE_UNTYPED_BITS, CASE_VA_BASE, CASE_VA_SIZE, Case, Env};

tessera_rt::entry!(main);

/// The suite's own priority: helpers run above, at and below it.
const MAIN_PRIO: u64 = 100;
/// Slots at the start of the empty range kept for the suite itself.
const RESERVED_SLOTS: u64 = 64;

const GROUPS: &[&[Case]] = &[
    untyped::CASES,
    cnode::CASES,
    delete::CASES,
    tcb::CASES,
    ipc::CASES,
    notification::CASES,
    irq::CASES,
    vspace::CASES,
    fault::CASES,
    process::CASES,
    sched::CASES,
    fuzz::CASES,
];

/// What outlives a case: the boot Untypeds and the suite's own slots.
struct Suite {
    info: &'static BootInfo,
    untyped: UntypedAllocator,
    slots: SlotAllocator,
    prio: u64,
    /// The current case Untyped; None after a revoke failed (it is then
    /// abandoned and a new one made).
    case_ut: Option<u64>,
}

fn main(boot_info: u64) -> ! {
    if boot_info == process::CHILD_ARGUMENT {
        process::child_main();
    }
    // SAFETY: the kernel maps the boot-info page read-only at the address
    // it passes in x0, for the program's lifetime.
    let info: &'static BootInfo = unsafe { &*(boot_info as *const BootInfo) };
    if info.magic != BOOT_INFO_MAGIC {
        println!("ktest: bad boot info at {boot_info:#x}");
        debug::shutdown(2);
    }
    ipc_buffer::set(info.ipc_buffer);
    let total: usize = GROUPS.iter().map(|g| g.len()).sum();
    println!(
        "ktest: {total} cases, {} cores, {} free slots",
        info.num_cores,
        info.empty.len()
    );
    let me = InitialSlot::Tcb.cptr();
    let prio = match tcbi::set_priority(me, me, MAIN_PRIO) {
        Ok(()) => MAIN_PRIO,
        Err(e) => {
            println!(
                "ktest: cannot lower the suite's priority to {MAIN_PRIO} ({e}); staying at 255"
            );
            255
        }
    };
    let mut suite = Suite {
        info,
        untyped: UntypedAllocator::from_boot_info(info),
        slots: SlotAllocator::new(SlotRange {
            start: info.empty.start,
            end: info.empty.start + RESERVED_SLOTS,
        }),
        prio,
        case_ut: None,
    };
    let (mut passed, mut failed) = (0u64, 0u64);
    for (index, case) in GROUPS.iter().flat_map(|g| g.iter()).enumerate() {
        match run_case(&mut suite, case, index as u64) {
            Ok(()) => {
                passed += 1;
                println!("ktest: PASS {}", case.name);
            }
            Err(r) => {
                failed += 1;
                println!("ktest: FAIL {}: {}", case.name, r.as_str());
            }
        }
    }
    println!("ktest: {passed} passed, {failed} failed");
    debug::shutdown(if failed == 0 { 0 } else { 1 })
}

fn case_untyped(suite: &mut Suite) -> Result<u64, harness::Reason> {
    if let Some(ut) = suite.case_ut {
        return Ok(ut);
    }
    let mut res = Resources {
        cnode: InitialSlot::CNode.cptr(),
        vspace: InitialSlot::VSpace.cptr(),
        authority: InitialSlot::Tcb.cptr(),
        slots: suite.slots.clone(),
        untyped: suite.untyped.clone(),
        next_va: 0,
        end_va: 0,
    };
    let r = res.alloc(ObjectType::Untyped, u64::from(CASE_UNTYPED_BITS));
    suite.slots = res.slots;
    suite.untyped = res.untyped;
    let ut = r.map_err(|e| harness::reason(format_args!("no Untyped for the case: {e}")))?;
    suite.case_ut = Some(ut);
    Ok(ut)
}

fn run_case(suite: &mut Suite, case: &Case, index: u64) -> harness::Outcome {
    for w in &BOARD {
        w.store(0, core::sync::atomic::Ordering::SeqCst);
    }
    tessera_rt::ipc::set_receive_slot(0, 0, 0);
    let ut = case_untyped(suite)?;
    let mut untyped = UntypedAllocator::new();
    untyped.add(ut, CASE_UNTYPED_BITS, 0);
    let va = CASE_VA_BASE + index * CASE_VA_SIZE;
    let mut env = Env {
        res: Resources {
            cnode: InitialSlot::CNode.cptr(),
            vspace: InitialSlot::VSpace.cptr(),
            authority: InitialSlot::Tcb.cptr(),
            slots: SlotAllocator::new(harness::case_slots(suite.info, RESERVED_SLOTS)),
            untyped,
            next_va: va,
            end_va: va + CASE_VA_SIZE,
        },
        info: suite.info,
        prio: suite.prio,
        case_ut: ut,
        threads: [0; 24],
        nthreads: 0,
    };
    let outcome = (case.run)(&mut env);
    clean_up(suite, &mut env);
    outcome
}

/// Stops the case's threads, revokes its Untyped and empties its slots.
fn clean_up(suite: &mut Suite, env: &mut Env) {
    let me = InitialSlot::Tcb.cptr();
    if tcbi::set_priority(me, me, suite.prio).is_err() {
        println!("ktest: note: cannot restore the suite's priority");
    }
    for &t in &env.threads[..env.nthreads] {
        let _ = tcbi::suspend(t);
    }
    if let Err(e) = cn::revoke(env.slot(env.case_ut)) {
        println!("ktest: note: revoking the case Untyped failed ({e}); taking a new one");
        suite.case_ut = None;
    }
    let used: heapless_slots::Used = heapless_slots::collect(&env.res.slots);
    for &s in used.as_slice() {
        let _ = cn::delete(env.slot(s));
    }
}

/// The slots a case used, copied out so they can be deleted.
mod heapless_slots {
    use tessera_rt::slots::{MAX_SLOTS, SlotAllocator};

    pub struct Used {
        slots: [u64; MAX_SLOTS as usize],
        len: usize,
    }

    impl Used {
        pub fn as_slice(&self) -> &[u64] {
            &self.slots[..self.len]
        }
    }

    pub fn collect(a: &SlotAllocator) -> Used {
        let mut u = Used {
            slots: [0; MAX_SLOTS as usize],
            len: 0,
        };
        for s in a.used() {
            if u.len < u.slots.len() {
                u.slots[u.len] = s;
                u.len += 1;
            }
        }
        u
    }
}
