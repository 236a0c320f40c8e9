//! Endpoint IPC: Send/Recv/Call/Reply/ReplyRecv and their non-blocking
//! forms, badges, long messages, capability transfer and unwrapping, rights,
//! unusable capabilities for every call, SaveCaller, and IPC across address
//! spaces.

use tessera_rt::abi::{Error, LookupFailure, MessageInfo, ObjectType, Rights, Syscall};
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::ipc::{self, Outgoing, Received};
use tessera_rt::syscall::{self, Args};
use tessera_rt::thread::Options;

use crate::harness::{
    Case, Context, Env, Outcome, bump, expect_err, expect_err_details, expect_label, get, occupied,
    park, poll_for, put, settle, wait_board,
};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(ipc_send_then_nbrecv),
    case!(ipc_long_message),
    case!(ipc_badge_delivered),
    case!(ipc_nbsend_without_receiver_is_dropped),
    case!(ipc_nbrecv_with_nothing_there),
    case!(ipc_call_and_reply),
    case!(ipc_reply_recv_server),
    case!(ipc_call_across_vspaces),
    case!(ipc_call_reply_recv_above_the_main_thread),
    case!(ipc_fastpath_message_lengths_and_labels),
    case!(ipc_call_across_cores),
    case!(ntfn_ping_pong_across_cores),
    case!(ipc_cap_transfer_with_grant),
    case!(ipc_cap_transfer_without_grant),
    case!(ipc_cap_transfer_without_receive_slot),
    case!(ipc_cap_to_same_endpoint_unwrapped),
    case!(ipc_send_needs_write),
    case!(ipc_recv_needs_read),
    case!(ipc_call_needs_grant),
    case!(ipc_empty_slot_call),
    case!(ipc_empty_slot_send),
    case!(ipc_empty_slot_nbsend),
    case!(ipc_empty_slot_recv),
    case!(ipc_empty_slot_nbrecv),
    case!(ipc_empty_slot_reply_recv),
    case!(ipc_guard_mismatch_cptr),
    case!(ipc_recv_on_wrong_type),
    case!(ipc_save_caller_then_send_replies),
    case!(ipc_save_caller_into_full_slot),
    case!(ipc_reply_cap_cannot_be_copied),
    case!(ipc_delete_endpoint_wakes_sender),
    case!(ipc_revoke_badged_caps_releases_sender),
    case!(ipc_reply_without_caller),
    case!(ipc_higher_priority_receiver_runs_at_once),
];

// Board words.
const DONE: usize = 1;
const LABEL: usize = 2;
const BADGE: usize = 3;
const LEN: usize = 4;
const MR0: usize = 8; // 8..16: received registers
const COUNT: usize = 20;
/// The notification the pinger signals when it is done.
const DONE_NOTIFICATION: usize = 40;
/// The first failed round of `length_client` (0: none).
const BAD_ROUND: usize = 41;
const EXTRA: usize = 21;
const UNWRAPPED: usize = 22;
const CB0: usize = 23;

fn record(r: &Received) {
    put(LABEL, r.info.label);
    put(BADGE, r.badge);
    put(LEN, r.info.length as u64);
    put(EXTRA, r.info.extra_caps as u64);
    put(UNWRAPPED, r.info.caps_unwrapped as u64);
    for i in 0..8 {
        put(MR0 + i, r.mr(i));
    }
    put(
        CB0,
        tessera_rt::ipc_buffer::with(|b| b.caps_or_badges[0]).unwrap_or(0),
    );
}

fn pack(a: u64, b: u64, c: u64) -> u64 {
    a | b << 16 | c << 32
}

fn unpack(x: u64) -> (u64, u64, u64) {
    (x & 0xffff, (x >> 16) & 0xffff, x >> 32)
}

fn sender(ep: u64) -> ! {
    let r = ipc::send(ep, Outgoing::new(0x55, &[1, 2, 3, 4]));
    put(LABEL, r.err().map_or(0, |e| e.label));
    put(DONE, 1);
    park()
}

fn ipc_send_then_nbrecv(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(sender, ep, 0)?;
    let r = poll_for("the sender's message", || ipc::nb_recv(ep))?;
    ensure!(
        r.info.label == 0x55 && r.info.length == 4,
        "got label {:#x} length {}",
        r.info.label,
        r.info.length
    );
    ensure!(r.regs == [1, 2, 3, 4], "got registers {:?}", r.regs);
    ensure!(r.badge == 0, "badge {:#x} from an unbadged cap", r.badge);
    wait_board(DONE, 1, "the sender did not return")?;
    ensure!(
        get(LABEL) == 0,
        "the sender's Send returned label {}",
        get(LABEL)
    );
    Ok(())
}

fn long_sender(ep: u64) -> ! {
    let mrs: [u64; 120] = core::array::from_fn(|i| 0x1000 + i as u64);
    let _ = ipc::send(ep, Outgoing::new(9, &mrs));
    park()
}

fn ipc_long_message(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(long_sender, ep, 0)?;
    let r = poll_for("the long message", || ipc::nb_recv(ep))?;
    ensure!(
        r.info.length == 120,
        "length {}, expected 120",
        r.info.length
    );
    for i in 0..120 {
        let v = r.mr(i);
        ensure!(
            v == 0x1000 + i as u64,
            "MR{i} = {v:#x}, expected {:#x}",
            0x1000 + i
        );
    }
    Ok(())
}

fn ipc_badge_delivered(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0xb0b)?;
    env.spawn(sender, badged, 0)?;
    let r = poll_for("the badged message", || ipc::nb_recv(ep))?;
    ensure!(r.badge == 0xb0b, "badge {:#x}, expected 0xb0b", r.badge);
    Ok(())
}

fn ipc_nbsend_without_receiver_is_dropped(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    ipc::nb_send(ep, Outgoing::new(7, &[1])).ctx("NBSend with nobody waiting")?;
    let r = ipc::nb_recv(ep);
    ensure!(
        r.info.label == 0 && r.info.length == 0,
        "a dropped message arrived: label {}",
        r.info.label
    );
    Ok(())
}

fn ipc_nbrecv_with_nothing_there(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let raw = syscall::raw(Syscall::NBRecv, ep, 0x7fff, [9, 9, 9, 9]);
    ensure!(raw.x0 == 0, "x0 = {:#x}, expected 0", raw.x0);
    let info = MessageInfo::from_word(raw.info);
    ensure!(
        info.label == 0 && info.length == 0,
        "label {} length {}",
        info.label,
        info.length
    );
    Ok(())
}

fn server_once(ep: u64) -> ! {
    let r = ipc::recv(ep);
    record(&r);
    ipc::reply(Outgoing::new(0, &[r.regs[0] + 1, 0x77]));
    put(DONE, 1);
    park()
}

fn client(arg: u64) -> ! {
    let (ep, calls, _) = unpack(arg);
    for i in 0..calls.max(1) {
        let r = ipc::call(ep, Outgoing::new(0x10, &[100 + i]));
        record(&r);
        bump(COUNT);
    }
    park()
}

fn ipc_call_and_reply(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(server_once, ep, 0)?;
    settle(3);
    env.spawn(client, pack(ep, 1, 0), 0)?;
    wait_board(COUNT, 1, "the client got no reply")?;
    ensure!(
        get(LABEL) == 0 && get(MR0) == 101 && get(MR0 + 1) == 0x77,
        "reply label {} MRs {:#x} {:#x}",
        get(LABEL),
        get(MR0),
        get(MR0 + 1)
    );
    Ok(())
}

fn reply_recv_server(ep: u64) -> ! {
    let mut r = ipc::recv(ep);
    loop {
        bump(DONE);
        r = ipc::reply_recv(ep, Outgoing::new(0, &[r.regs[0] * 2, r.badge]));
    }
}

fn ipc_reply_recv_server(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0x5)?;
    env.spawn(reply_recv_server, ep, 0)?;
    env.spawn(client, pack(badged, 3, 0), 0)?;
    wait_board(COUNT, 3, "the client did not get three replies")?;
    ensure!(
        get(MR0) == 204 && get(MR0 + 1) == 5,
        "last reply {} (badge seen {:#x}), expected 204 and 0x5",
        get(MR0),
        get(MR0 + 1)
    );
    Ok(())
}

/// A client that blocks when done instead of parking: above the main
/// thread's priority, a yielding loop would starve it. If `done` (the third
/// field) names a notification, it is signalled when all calls are done.
fn blocking_client(arg: u64) -> ! {
    let (ep, calls, done) = unpack(arg);
    for i in 0..calls.max(1) {
        let r = ipc::call(ep, Outgoing::new(0x10, &[100 + i]));
        record(&r);
        bump(COUNT);
    }
    if done != 0 {
        let _ = ipc::signal(done);
    }
    loop {
        ipc::recv(ep);
    }
}

/// Client and server above the main thread, so nothing else is ready when
/// they call and reply: the conditions of the kernel's IPC fastpath (the
/// kernel-suite-slowpath scenario runs this with it off).
fn ipc_call_reply_recv_above_the_main_thread(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0x9)?;
    env.spawn(reply_recv_server, ep, 1)?;
    env.spawn(blocking_client, pack(badged, 50, 0), 1)?;
    wait_board(COUNT, 50, "the client did not get 50 replies")?;
    ensure!(
        get(LABEL) == 0 && get(MR0) == 2 * 149 && get(MR0 + 1) == 0x9,
        "last reply label {} MRs {} {:#x}, expected 0, 298 and the badge 0x9",
        get(LABEL),
        get(MR0),
        get(MR0 + 1)
    );
    Ok(())
}

/// Answers each call with label + 1 and [length, Σ (i + 1)·MRi, badge].
fn length_server(ep: u64) -> ! {
    let mut r = ipc::recv(ep);
    loop {
        let n = r.info.length as usize;
        let sum: u64 = (0..n.min(4)).map(|i| r.regs[i] * (i as u64 + 1)).sum();
        let label = r.info.label + 1;
        r = ipc::reply_recv(ep, Outgoing::new(label, &[n as u64, sum, r.badge]));
    }
}

/// Calls with every message length the fastpath takes (0–4), twice each,
/// and checks each answer; records the first bad round in BAD_ROUND.
fn length_client(arg: u64) -> ! {
    let (ep, badge, done) = unpack(arg);
    let values = [11u64, 22, 33, 44];
    for round in 1..=10u64 {
        let n = ((round - 1) % 5) as usize;
        let label = 0x20 + n as u64;
        let r = ipc::call(ep, Outgoing::new(label, &values[..n]));
        let sum: u64 = (0..n).map(|i| values[i] * (i as u64 + 1)).sum();
        let good = r.info.label == label + 1
            && r.info.length == 3
            && r.regs[..3] == [n as u64, sum, badge];
        if !good && get(BAD_ROUND) == 0 {
            put(BAD_ROUND, round);
            record(&r);
        }
        bump(COUNT);
    }
    let _ = ipc::signal(done);
    loop {
        ipc::recv(ep);
    }
}

/// The fastpath's message copy: every length it handles, labels and the
/// badge, checked on both sides (the slowpath scenario runs it too).
fn ipc_fastpath_message_lengths_and_labels(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0x77)?;
    let done = env.alloc(ObjectType::Notification)?;
    put(BAD_ROUND, 0);
    env.spawn(length_server, ep, 1)?;
    env.spawn(length_client, pack(badged, 0x77, done), 1)?;
    ipc::wait(done);
    ensure!(
        get(COUNT) == 10,
        "{} calls answered, expected 10",
        get(COUNT)
    );
    ensure!(
        get(BAD_ROUND) == 0,
        "round {}: label {:#x}, length {}, MRs {} {} {:#x}",
        get(BAD_ROUND),
        get(LABEL),
        get(LEN),
        get(MR0),
        get(MR0 + 1),
        get(MR0 + 2)
    );
    Ok(())
}

/// Starts `entry(arg)` on `core` (its affinity set before it first runs).
fn spawn_on(env: &mut Env, entry: fn(u64) -> !, arg: u64, core: u64) -> Outcome {
    let t = env.spawn_stopped(entry, arg)?;
    tcb::set_affinity(t.tcb, core).ctx("setting the affinity")?;
    tcb::resume(t.tcb).ctx("resuming")
}

/// Client on core 2, server on core 1: every Call and reply crosses cores
/// (the receiver's core is woken by the reschedule IPI).
fn ipc_call_across_cores(env: &mut Env) -> Outcome {
    if env.info.num_cores < 3 {
        return Ok(());
    }
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0x31)?;
    let done = env.alloc(ObjectType::Notification)?;
    spawn_on(env, reply_recv_server, ep, 1)?;
    spawn_on(env, blocking_client, pack(badged, 20, done), 2)?;
    // Blocking (not yielding on core 0) leaves the cores to the two threads:
    // under QEMU a spinning core 0 starves the others of host time. A lost
    // wake-up hangs here and the scenario's timeout reports it.
    ipc::wait(done);
    ensure!(
        get(COUNT) == 20,
        "the client got {} replies, expected 20",
        get(COUNT)
    );
    ensure!(
        get(LABEL) == 0 && get(MR0) == 2 * 119 && get(MR0 + 1) == 0x31,
        "last reply label {} MRs {} {:#x}, expected 0, 238 and the badge 0x31",
        get(LABEL),
        get(MR0),
        get(MR0 + 1)
    );
    Ok(())
}

fn pinger(arg: u64) -> ! {
    let (ping, pong, rounds) = unpack(arg);
    for _ in 0..rounds {
        let _ = ipc::signal(ping);
        ipc::wait(pong);
        bump(COUNT);
    }
    let _ = ipc::signal(get(DONE_NOTIFICATION));
    loop {
        ipc::wait(pong);
    }
}

fn ponger(arg: u64) -> ! {
    let (ping, pong, _) = unpack(arg);
    loop {
        ipc::wait(ping);
        let _ = ipc::signal(pong);
    }
}

/// Two notifications bounced between threads on cores 1 and 2.
fn ntfn_ping_pong_across_cores(env: &mut Env) -> Outcome {
    if env.info.num_cores < 3 {
        return Ok(());
    }
    let ping = env.alloc(ObjectType::Notification)?;
    let pong = env.alloc(ObjectType::Notification)?;
    let done = env.alloc(ObjectType::Notification)?;
    put(DONE_NOTIFICATION, done);
    spawn_on(env, ponger, pack(ping, pong, 0), 2)?;
    spawn_on(env, pinger, pack(ping, pong, 50), 1)?;
    // Blocking, as in ipc_call_across_cores.
    ipc::wait(done);
    ensure!(
        get(COUNT) == 50,
        "{} rounds of ping-pong, expected 50",
        get(COUNT)
    );
    Ok(())
}

fn ipc_call_across_vspaces(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let vs = env.vspace()?;
    crate::image::map_into(env, vs)?;
    let opts = Options {
        vspace: vs,
        ..Options::new(env.prio)
    };
    env.spawn_with(reply_recv_server, ep, opts)?;
    env.spawn(client, pack(ep, 2, 0), 0)?;
    wait_board(
        COUNT,
        2,
        "the client in the suite's VSpace got no reply from the other VSpace",
    )?;
    ensure!(get(MR0) == 202, "reply {}, expected 202", get(MR0));
    Ok(())
}

const RECV_SLOT: usize = 30;

fn cap_receiver(ep: u64) -> ! {
    ipc::set_receive_slot(
        tessera_rt::abi::InitialSlot::CNode.cptr(),
        get(RECV_SLOT),
        64,
    );
    let r = ipc::recv(ep);
    record(&r);
    put(DONE, 1);
    park()
}

fn cap_sender(arg: u64) -> ! {
    let (ep, cap, _) = unpack(arg);
    let r = ipc::send(ep, Outgoing::new(0x42, &[1]).with_caps(&[cap]));
    put(LABEL + 40, r.err().map_or(0, |e| e.label));
    park()
}

fn transfer(
    env: &mut Env,
    rights: Rights,
    receive_depth_zero: bool,
) -> Result<(u64, u64), crate::harness::Reason> {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let send_cap = env.copy(ep, rights)?;
    let n = env.alloc(ObjectType::Notification)?;
    let nb = env.mint(n, Rights::ALL, 4)?;
    let slot = env.free_slot()?;
    put(RECV_SLOT, slot);
    if receive_depth_zero {
        env.spawn(receiver_no_slot, ep, 0)?;
    } else {
        env.spawn(cap_receiver, ep, 0)?;
    }
    settle(3);
    env.spawn(cap_sender, pack(send_cap, nb, 0), 0)?;
    wait_board(DONE, 1, "the receiver got nothing")?;
    ensure!(
        get(LABEL) == 0x42,
        "received label {:#x}, expected 0x42",
        get(LABEL)
    );
    Ok((slot, n))
}

fn receiver_no_slot(ep: u64) -> ! {
    ipc::set_receive_slot(0, 0, 0);
    let r = ipc::recv(ep);
    record(&r);
    put(DONE, 1);
    park()
}

fn ipc_cap_transfer_with_grant(env: &mut Env) -> Outcome {
    let (slot, n) = transfer(env, Rights::ALL, false)?;
    ensure!(
        get(EXTRA) == 1 && get(UNWRAPPED) == 0,
        "extra caps {} unwrapped {:#b}, expected 1 and 0",
        get(EXTRA),
        get(UNWRAPPED)
    );
    ipc::signal(slot).ctx("signal the received cap")?;
    let w = ipc::poll(n).badge;
    ensure!(
        w == 4,
        "signalling the received cap gave word {w:#x}, expected its badge 0x4"
    );
    Ok(())
}

fn ipc_cap_transfer_without_grant(env: &mut Env) -> Outcome {
    let (slot, _) = transfer(
        env,
        Rights::READ | Rights::WRITE | Rights::GRANT_REPLY,
        false,
    )?;
    ensure!(
        get(EXTRA) == 0,
        "{} caps arrived through an endpoint cap without Grant",
        get(EXTRA)
    );
    ensure!(
        !occupied(env, slot)?,
        "the receive slot was filled without Grant"
    );
    Ok(())
}

fn ipc_cap_transfer_without_receive_slot(env: &mut Env) -> Outcome {
    transfer(env, Rights::ALL, true)?;
    ensure!(
        get(EXTRA) == 0,
        "{} caps arrived with no receive slot",
        get(EXTRA)
    );
    Ok(())
}

fn ipc_cap_to_same_endpoint_unwrapped(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0xcafe)?;
    let slot = env.free_slot()?;
    put(RECV_SLOT, slot);
    env.spawn(cap_receiver, ep, 0)?;
    settle(3);
    env.spawn(cap_sender, pack(ep, badged, 0), 0)?;
    wait_board(DONE, 1, "the receiver got nothing")?;
    ensure!(get(EXTRA) == 1, "extra caps {}, expected 1", get(EXTRA));
    ensure!(
        get(UNWRAPPED) == 1,
        "caps_unwrapped {:#b}, expected 0b1",
        get(UNWRAPPED)
    );
    ensure!(
        get(CB0) == 0xcafe,
        "caps_or_badges[0] = {:#x}, expected 0xcafe",
        get(CB0)
    );
    ensure!(
        !occupied(env, slot)?,
        "an unwrapped cap was also put in the receive slot"
    );
    Ok(())
}

fn ipc_send_needs_write(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let ro = env.copy(ep, Rights::READ | Rights::GRANT)?;
    expect_err_details(
        ipc::send(ro, Outgoing::new(1, &[])),
        "Send without Write",
        Error::InvalidCapability,
        [0, 0],
    )?;
    let r = ipc::call(ro, Outgoing::new(1, &[]));
    expect_label(&r, "Call without Write", Error::InvalidCapability)?;
    Ok(())
}

fn ipc_recv_needs_read(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let wo = env.copy(ep, Rights::WRITE)?;
    expect_label(
        &ipc::recv(wo),
        "Recv without Read",
        Error::InvalidCapability,
    )?;
    expect_label(
        &ipc::nb_recv(wo),
        "NBRecv without Read",
        Error::InvalidCapability,
    )?;
    Ok(())
}

fn call_and_record(ep: u64) -> ! {
    let r = ipc::call(ep, Outgoing::new(3, &[]));
    record(&r);
    put(DONE, 1);
    park()
}

fn ipc_call_needs_grant(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let wo = env.copy(ep, Rights::WRITE | Rights::READ)?;
    env.spawn(call_and_record, wo, 0)?;
    wait_board(DONE, 1, "a Call without Grant/GrantReply did not return")?;
    ensure!(
        get(LABEL) == Error::InvalidCapability as u64,
        "Call without Grant/GrantReply: label {}, expected InvalidCapability",
        get(LABEL)
    );
    Ok(())
}

fn empty_slot(env: &mut Env, call: Syscall) -> Outcome {
    let empty = env.free_slot()?;
    let r = syscall::raw_number(
        call as u64,
        Args {
            x0: empty,
            x1: 0,
            mr: [0; 4],
            x6: empty,
        },
    );
    let info = MessageInfo::from_word(r.info);
    ensure!(
        info.label == Error::FailedLookup as u64,
        "{call:?} on an empty slot: label {}, expected FailedLookup",
        info.label
    );
    ensure!(
        r.mr[0] == 1 && r.mr[1] == LookupFailure::MissingCapability as u64,
        "{call:?}: details [{:#x}, {:#x}], expected [1, MissingCapability]",
        r.mr[0],
        r.mr[1]
    );
    Ok(())
}

fn ipc_empty_slot_call(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::Call)
}
fn ipc_empty_slot_send(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::Send)
}
fn ipc_empty_slot_nbsend(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::NBSend)
}
fn ipc_empty_slot_recv(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::Recv)
}
fn ipc_empty_slot_nbrecv(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::NBRecv)
}
fn ipc_empty_slot_reply_recv(env: &mut Env) -> Outcome {
    empty_slot(env, Syscall::ReplyRecv)
}

fn ipc_guard_mismatch_cptr(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let r = ipc::nb_recv(ep | 1 << 40);
    let d = expect_label(&r, "NBRecv with guard bits set", Error::FailedLookup)?;
    ensure!(
        d[1] == LookupFailure::GuardMismatch as u64,
        "failure kind {}, expected GuardMismatch",
        d[1]
    );
    Ok(())
}

fn ipc_recv_on_wrong_type(env: &mut Env) -> Outcome {
    let cn = env.alloc(ObjectType::CNode)?;
    let d = expect_label(
        &ipc::nb_recv(cn),
        "NBRecv on a CNode",
        Error::InvalidCapability,
    )?;
    ensure!(d[0] == 0, "MR0 {}, expected 0 (the invoked cap)", d[0]);
    expect_label(&ipc::recv(cn), "Recv on a CNode", Error::InvalidCapability)?;
    Ok(())
}

fn ipc_save_caller_then_send_replies(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(client, pack(ep, 1, 0), 0)?;
    let r = poll_for("the client's call", || ipc::nb_recv(ep))?;
    ensure!(r.info.label == 0x10, "call label {:#x}", r.info.label);
    let saved = env.free_slot()?;
    cnode::save_caller(env.slot(saved)).ctx("SaveCaller")?;
    ipc::send(saved, Outgoing::new(0, &[0x99])).ctx("Send on the saved reply cap")?;
    wait_board(COUNT, 1, "the client got no reply through the saved cap")?;
    ensure!(
        get(MR0) == 0x99,
        "the client got {:#x}, expected 0x99",
        get(MR0)
    );
    Ok(())
}

fn ipc_save_caller_into_full_slot(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(client, pack(ep, 1, 0), 0)?;
    poll_for("the client's call", || ipc::nb_recv(ep))?;
    let full = env.alloc(ObjectType::Notification)?;
    expect_err(
        cnode::save_caller(env.slot(full)),
        "SaveCaller onto a full slot",
        Error::DeleteFirst,
    )?;
    ipc::reply(Outgoing::new(0, &[1]));
    wait_board(COUNT, 1, "the reply cap was lost by the failed SaveCaller")
}

fn ipc_reply_cap_cannot_be_copied(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(client, pack(ep, 1, 0), 0)?;
    poll_for("the client's call", || ipc::nb_recv(ep))?;
    let saved = env.free_slot()?;
    cnode::save_caller(env.slot(saved)).ctx("SaveCaller")?;
    let dest = env.free_slot()?;
    expect_err(
        cnode::copy(env.slot(dest), env.slot(saved), Rights::ALL),
        "copy a reply cap",
        Error::IllegalOperation,
    )?;
    Ok(())
}

fn ipc_delete_endpoint_wakes_sender(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(sender, ep, 0)?;
    settle(5);
    ensure!(get(DONE) == 0, "Send returned with nobody receiving");
    cnode::delete(env.slot(ep)).ctx("delete")?;
    wait_board(DONE, 1, "the sender stayed blocked on a destroyed endpoint")?;
    ensure!(
        get(LABEL) == Error::InvalidCapability as u64,
        "the sender's Send ended with label {}, expected InvalidCapability",
        get(LABEL)
    );
    Ok(())
}

fn ipc_revoke_badged_caps_releases_sender(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let badged = env.mint(ep, Rights::ALL, 0x21)?;
    env.spawn(sender, badged, 0)?;
    settle(5);
    ensure!(get(DONE) == 0, "Send returned with nobody receiving");
    cnode::revoke(env.slot(ep)).ctx("revoke")?;
    wait_board(
        DONE,
        1,
        "the sender stayed blocked after its badged cap was revoked",
    )?;
    ensure!(
        get(LABEL) != 0,
        "the sender's Send succeeded after its cap was revoked"
    );
    let r = ipc::nb_recv(ep);
    ensure!(
        r.badge != 0x21,
        "the revoked sender's message still arrived"
    );
    Ok(())
}

fn ipc_reply_without_caller(_env: &mut Env) -> Outcome {
    ipc::reply(Outgoing::new(0, &[1, 2]));
    Ok(())
}

fn counting_receiver(ep: u64) -> ! {
    loop {
        let r = ipc::recv(ep);
        record(&r);
        bump(COUNT);
    }
}

fn ipc_higher_priority_receiver_runs_at_once(env: &mut Env) -> Outcome {
    let ep = env.alloc(ObjectType::Endpoint)?;
    env.spawn(counting_receiver, ep, 1)?;
    ensure!(get(COUNT) == 0, "the receiver counted before any send");
    ipc::nb_send(ep, Outgoing::new(0x31, &[])).ctx("NBSend")?;
    // No yield: the receiver has the higher priority and must have run.
    let c = get(COUNT);
    if c != 1 {
        fail!(
            "after NBSend to a higher-priority receiver its count is {c}, expected 1 without yielding"
        );
    }
    ensure!(get(LABEL) == 0x31, "label {:#x}", get(LABEL));
    Ok(())
}
