//! Deleting CNodes and TCBs that still hold capabilities: the kernel turns
//! the last capability into a zombie and empties the object over several
//! entries, restarting the call, so the deletion is bounded per entry,
//! complete however deeply CNodes nest, and other threads run meanwhile.
//!
//! Each case checks completeness the same way: a thread blocks receiving
//! on an endpoint whose copies fill the deleted structure; deleting the
//! endpoint's original afterwards destroys the endpoint (and wakes the
//! thread with `InvalidCapability`) only if every copy is really gone.

use tessera_rt::abi::{CPtr, Error, ObjectType, Rights};
use tessera_rt::invoke::cnode::{self, Slot};
use tessera_rt::invoke::tcb;
use tessera_rt::ipc;

use crate::harness::{
    Case, Context, DEFAULT_WAIT, Env, Outcome, expect_err, get, occupied, put, settle, wait_board,
    wait_until,
};
use crate::{case, ensure};

pub const CASES: &[Case] = &[
    case!(delete_large_cnode_of_copies),
    case!(delete_chain_of_eight_nested_cnodes),
    case!(delete_tcb_whose_cspace_is_a_large_cnode),
    case!(set_space_replacing_the_last_cap_to_a_large_cnode),
    case!(delete_in_progress_lets_a_higher_priority_thread_run),
    case!(zombie_in_progress_is_unusable),
];

/// The radix of the large CNodes: 4096 slots, 64 kernel entries at least.
const LARGE: u64 = 12;

const B_LABEL: usize = 1;
const B_DONE: usize = 2;

/// Receives on `ep`; records the label it ends with.
fn receiver(ep: u64) -> ! {
    let r = ipc::recv(ep);
    put(B_LABEL, r.info.label);
    put(B_DONE, 1);
    crate::harness::park()
}

/// Starts a receiver blocked on the endpoint `ep`.
fn block_on(env: &mut Env, ep: CPtr) -> Outcome {
    env.spawn(receiver, ep, 0)?;
    settle(5);
    ensure!(get(B_DONE) == 0, "the receiver did not block");
    Ok(())
}

/// The receiver is still blocked: its endpoint still has a capability.
fn still_blocked(what: &str) -> Outcome {
    settle(5);
    ensure!(
        get(B_DONE) == 0,
        "{what}: the endpoint was destroyed (label {})",
        get(B_LABEL)
    );
    Ok(())
}

/// Deletes the endpoint's original: if it was the last capability, the
/// endpoint is destroyed and the receiver wakes with InvalidCapability.
fn original_was_the_last(env: &mut Env, ep: CPtr) -> Outcome {
    cnode::delete(env.slot(ep)).ctx("deleting the endpoint's original")?;
    wait_board(
        B_DONE,
        1,
        "copies of the endpoint survived the deletion: deleting its original did not destroy it",
    )?;
    let l = get(B_LABEL);
    ensure!(
        l == Error::InvalidCapability as u64,
        "the receiver woke with label {l}, expected InvalidCapability"
    );
    Ok(())
}

/// Slot `index` of the CNode `cn` of `radix` bits (no guard).
fn in_cnode(cn: CPtr, radix: u64, index: u64) -> Slot {
    Slot {
        root: cn,
        index,
        depth: radix,
    }
}

/// Fills every empty slot of `cn` with copies of `src`.
fn fill(env: &Env, cn: CPtr, radix: u64, src: CPtr) -> Outcome {
    for i in 0..1 << radix {
        match cnode::copy(in_cnode(cn, radix, i), env.slot(src), Rights::ALL) {
            Ok(())
            | Err(tessera_rt::InvocationError {
                error: Error::DeleteFirst,
                ..
            }) => {}
            Err(e) => crate::fail!("copy into slot {i}: {e}"),
        }
    }
    Ok(())
}

/// An Untyped of 2^bits bytes for a case's objects.
struct Pool {
    ut: CPtr,
    bits: u64,
}

impl Pool {
    fn new(env: &mut Env, bits: u64) -> Result<Pool, crate::harness::Reason> {
        Ok(Pool {
            ut: env.untyped(bits)?,
            bits,
        })
    }

    /// One object in a new slot.
    fn make(
        &self,
        env: &mut Env,
        ty: ObjectType,
        size: u64,
    ) -> Result<CPtr, crate::harness::Reason> {
        let s = env.free_slot()?;
        env.retype_into(self.ut, ty, size, s, 1)
            .ctx("retyping from the case's pool")?;
        Ok(s)
    }

    /// Revokes the Untyped, then fills all of it with CNodes of radix
    /// `LARGE`: only possible when nothing of what it held is left.
    fn revoke_and_refill(&self, env: &mut Env) -> Outcome {
        cnode::revoke(env.slot(self.ut)).ctx("revoking the pool")?;
        let count = 1 << (self.bits - LARGE - 6);
        let s = env.free_slots(count)?;
        env.retype_into(self.ut, ObjectType::CNode, LARGE, s, count)
            .ctx("retyping the whole pool after the revoke")?;
        for i in 0..count {
            cnode::delete(env.slot(s + i)).ctx("deleting a refill CNode")?;
        }
        Ok(())
    }
}

fn delete_large_cnode_of_copies(env: &mut Env) -> Outcome {
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let cn = pool.make(env, ObjectType::CNode, LARGE)?;
    fill(env, cn, LARGE, ep)?;
    block_on(env, ep)?;
    cnode::delete(env.slot(cn)).ctx("deleting the full CNode")?;
    ensure!(!occupied(env, cn)?, "the deleted CNode's slot is not empty");
    still_blocked("after deleting the CNode of copies")?;
    original_was_the_last(env, ep)?;
    pool.revoke_and_refill(env)
}

fn delete_chain_of_eight_nested_cnodes(env: &mut Env) -> Outcome {
    const DEPTH: usize = 8;
    // 8 × 16 slots: more than one entry's budget of steps.
    const RADIX: u64 = 4;
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let mut chain = [0; DEPTH];
    for c in chain.iter_mut() {
        *c = pool.make(env, ObjectType::CNode, RADIX)?;
    }
    // The deepest holds endpoint copies; each of the others holds, in its
    // slot 1, the only capability to the next (and copies around it).
    fill(env, chain[DEPTH - 1], RADIX, ep)?;
    for i in (0..DEPTH - 1).rev() {
        cnode::move_(in_cnode(chain[i], RADIX, 1), env.slot(chain[i + 1]))
            .ctx("moving a CNode into its parent")?;
        fill(env, chain[i], RADIX, ep)?;
    }
    block_on(env, ep)?;
    cnode::delete(env.slot(chain[0])).ctx("deleting the top of the chain")?;
    ensure!(!occupied(env, chain[0])?, "the top's slot is not empty");
    still_blocked("after deleting the chain")?;
    original_was_the_last(env, ep)?;
    pool.revoke_and_refill(env)
}

fn delete_tcb_whose_cspace_is_a_large_cnode(env: &mut Env) -> Outcome {
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let t = pool.make(env, ObjectType::Tcb, 0)?;
    let cn = pool.make(env, ObjectType::CNode, LARGE)?;
    fill(env, cn, LARGE, ep)?;
    let vs = env.vspace()?;
    tcb::set_space(t, 0, cn, 0, vs).ctx("giving the thread the CNode as CSpace")?;
    cnode::delete(env.slot(cn)).ctx("deleting the CNode's original")?;
    block_on(env, ep)?;
    cnode::delete(env.slot(t)).ctx("deleting the TCB")?;
    ensure!(!occupied(env, t)?, "the TCB's slot is not empty");
    still_blocked("after deleting the TCB")?;
    original_was_the_last(env, ep)?;
    pool.revoke_and_refill(env)
}

fn set_space_replacing_the_last_cap_to_a_large_cnode(env: &mut Env) -> Outcome {
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let t = pool.make(env, ObjectType::Tcb, 0)?;
    let cn = pool.make(env, ObjectType::CNode, LARGE)?;
    fill(env, cn, LARGE, ep)?;
    let small = env.alloc(ObjectType::CNode)?;
    let vs = env.vspace()?;
    tcb::set_space(t, 0, cn, 0, vs).ctx("giving the thread the large CSpace")?;
    cnode::delete(env.slot(cn)).ctx("deleting the CNode's original")?;
    block_on(env, ep)?;
    // The old root goes in many entries; the call restarts until it is
    // gone, then installs the new one.
    tcb::set_space(t, 0, small, 0, vs).ctx("replacing the CSpace")?;
    still_blocked("after replacing the CSpace")?;
    original_was_the_last(env, ep)?;
    cnode::delete(env.slot(small)).ctx("deleting the small CNode's original")?;
    cnode::delete(env.slot(t)).ctx("deleting the TCB")?;
    pool.revoke_and_refill(env)
}

const B_PROBE: usize = 3;
const B_PROBED: usize = 4;
/// Board words telling helper threads their capabilities.
const B_WAKE: usize = 10;
const B_SOURCE: usize = 11;
const B_PARKING: usize = 12;
const B_ROOT: usize = 13;

/// Higher-priority thread: blocks on the endpoint in B_WAKE, whose only
/// capability is in the last slot of the CNode being deleted (among the
/// first emptied), so its destruction wakes this thread. It then checks
/// whether the deleted slot (`arg`) is still occupied by copying B_SOURCE
/// into it, records the error (0 for none), and blocks for good.
fn prober(arg: u64) -> ! {
    let root = get(B_ROOT);
    let _ = ipc::recv(get(B_WAKE));
    let r = cnode::copy(
        Slot::new(root, arg),
        Slot::new(root, get(B_SOURCE)),
        Rights::ALL,
    );
    put(B_PROBE, r.err().map_or(0, |e| e.error as u64));
    put(B_PROBED, 1);
    let _ = ipc::recv(get(B_PARKING));
    crate::harness::park()
}

fn delete_in_progress_lets_a_higher_priority_thread_run(env: &mut Env) -> Outcome {
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let wake = pool.make(env, ObjectType::Endpoint, 0)?;
    let parking = pool.make(env, ObjectType::Endpoint, 0)?;
    let cn = pool.make(env, ObjectType::CNode, LARGE)?;
    put(B_WAKE, wake);
    put(B_SOURCE, ep);
    put(B_PARKING, parking);
    put(B_ROOT, env.root());
    // Same core as the suite (core 0), one priority above.
    env.spawn(prober, cn, 1)?;
    settle(3);
    ensure!(get(B_PROBED) == 0, "the prober did not block");
    cnode::move_(in_cnode(cn, LARGE, (1 << LARGE) - 1), env.slot(wake))
        .ctx("moving the wake endpoint into the CNode")?;
    fill(env, cn, LARGE, ep)?;
    cnode::delete(env.slot(cn)).ctx("deleting the CNode")?;
    ensure!(
        get(B_PROBED) == 1,
        "the higher-priority thread did not run before the Delete returned"
    );
    let probe = get(B_PROBE);
    ensure!(
        probe == Error::DeleteFirst as u64,
        "the higher-priority thread ran only after the deletion (copying into the \
         deleted slot gave error {probe}, expected DeleteFirst while in progress)"
    );
    ensure!(!occupied(env, cn)?, "the deleted CNode's slot is not empty");
    Ok(())
}

/// Deletes the capability in slot `arg` of the suite's CNode.
fn deleter(arg: u64) -> ! {
    let _ = cnode::delete(Slot::new(get(B_ROOT), arg));
    put(B_DONE, 1);
    crate::harness::park()
}

/// Whether `cap` is a zombie: an unknown label on it fails with
/// InvalidCapability (on a CNode, with IllegalOperation), and has no effect.
fn is_zombie(cap: CPtr) -> bool {
    matches!(
        tessera_rt::invoke::invoke_label(cap, 999, &[], &[]),
        Err(e) if e.error == Error::InvalidCapability
    )
}

fn zombie_in_progress_is_unusable(env: &mut Env) -> Outcome {
    let pool = Pool::new(env, LARGE + 6 + 1)?;
    let ep = pool.make(env, ObjectType::Endpoint, 0)?;
    let cn = pool.make(env, ObjectType::CNode, LARGE)?;
    fill(env, cn, LARGE, ep)?;
    put(B_ROOT, env.root());
    ensure!(!is_zombie(cn), "a live CNode cap reads as a zombie");
    // A thread of the suite's priority starts the deletion; each of its
    // entries ends in a restart that gives the suite the core, which
    // suspends it mid-way: the zombie stays in the slot.
    let d = env.spawn(deleter, cn, 0)?;
    ensure!(
        wait_until(DEFAULT_WAIT, || is_zombie(cn)),
        "the slot never held a zombie while the deletion ran"
    );
    tcb::suspend(d.tcb).ctx("suspending the deleter")?;
    ensure!(get(B_DONE) == 0, "the deletion finished in one entry");
    let probe = env.free_slot()?;
    expect_err(
        cnode::copy(env.slot(probe), env.slot(cn), Rights::ALL),
        "copying a zombie",
        Error::IllegalOperation,
    )?;
    expect_err(
        cnode::mint(env.slot(probe), env.slot(cn), Rights::ALL, 0),
        "minting a zombie",
        Error::IllegalOperation,
    )?;
    expect_err(
        cnode::move_(env.slot(probe), env.slot(cn)),
        "moving a zombie",
        Error::IllegalOperation,
    )?;
    expect_err(
        cnode::copy(env.slot(cn), env.slot(ep), Rights::ALL),
        "copying into a zombie's slot",
        Error::DeleteFirst,
    )?;
    expect_err(
        cnode::copy(env.slot(probe), in_cnode(cn, LARGE, 0), Rights::ALL),
        "a zombie as a lookup root",
        Error::InvalidCapability,
    )?;
    expect_err(
        ipc::call(cn, ipc::Outgoing::new(0, &[])).as_result(),
        "Call on a zombie",
        Error::InvalidCapability,
    )?;
    ensure!(
        !occupied(env, probe)?,
        "a refused operation filled the probe slot"
    );
    // Any later Delete of the slot carries on and finishes.
    cnode::delete(env.slot(cn)).ctx("finishing the deletion")?;
    ensure!(!occupied(env, cn)?, "the slot is not empty after finishing");
    Ok(())
}
