//! Notifications: signal OR-ing, waiting and polling, rights, binding to a
//! TCB, destruction with a waiter.

use tessera_rt::abi::{Error, ObjectType, Rights};
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::ipc::{self, Outgoing};

use crate::harness::{
    Case, Context, Env, Outcome, expect_err, expect_err_mr0, expect_label, get, park, put, settle,
    wait_board,
};
use crate::{case, ensure};

pub const CASES: &[Case] = &[
    case!(ntfn_signals_are_ored),
    case!(ntfn_wait_blocks_until_signalled),
    case!(ntfn_signal_needs_write),
    case!(ntfn_wait_needs_read),
    case!(ntfn_nbsend_signals),
    case!(ntfn_poll_with_nothing_pending),
    case!(ntfn_bound_signal_ends_endpoint_recv),
    case!(ntfn_unbind_stops_delivery),
    case!(ntfn_delete_wakes_waiter),
    case!(ntfn_bind_needs_a_notification),
];

const DONE: usize = 1;
const WORD: usize = 2;
const LABEL: usize = 3;

fn waiter(n: u64) -> ! {
    let r = ipc::wait(n);
    put(WORD, r.badge);
    put(LABEL, r.info.label);
    put(DONE, 1);
    park()
}

fn ntfn_signals_are_ored(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let a = env.mint(n, Rights::ALL, 0b01)?;
    let b = env.mint(n, Rights::ALL, 0b10)?;
    ipc::signal(a).ctx("signal a")?;
    ipc::signal(b).ctx("signal b")?;
    ipc::signal(a).ctx("signal a again")?;
    let w = ipc::poll(n).badge;
    ensure!(w == 0b11, "word {w:#b}, expected 0b11");
    let w = ipc::poll(n).badge;
    ensure!(w == 0, "word {w:#b} after it was read, expected 0");
    Ok(())
}

fn ntfn_wait_blocks_until_signalled(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let s = env.mint(n, Rights::ALL, 0x80)?;
    env.spawn(waiter, n, 0)?;
    settle(5);
    ensure!(
        get(DONE) == 0,
        "Wait returned before any signal (word {:#x}, label {})",
        get(WORD),
        get(LABEL)
    );
    ipc::signal(s).ctx("signal")?;
    wait_board(DONE, 1, "the waiter was not woken")?;
    ensure!(
        get(WORD) == 0x80,
        "the waiter got {:#x}, expected 0x80",
        get(WORD)
    );
    Ok(())
}

fn ntfn_signal_needs_write(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let ro = env.mint(n, Rights::READ, 1)?;
    expect_err_mr0(
        ipc::signal(ro),
        "signal without Write",
        Error::InvalidCapability,
        0,
    )
}

fn ntfn_wait_needs_read(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let wo = env.mint(n, Rights::WRITE, 1)?;
    expect_label(
        &ipc::wait(wo),
        "wait without Read",
        Error::InvalidCapability,
    )?;
    Ok(())
}

fn ntfn_nbsend_signals(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let s = env.mint(n, Rights::ALL, 0x4)?;
    ipc::nb_send(s, Outgoing::new(0, &[])).ctx("NBSend")?;
    let w = ipc::poll(n).badge;
    ensure!(w == 0x4, "word {w:#x}, expected 0x4");
    Ok(())
}

fn ntfn_poll_with_nothing_pending(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let r = ipc::poll(n);
    ensure!(
        r.badge == 0 && r.info.label == 0,
        "poll of an idle notification: word {:#x}, label {}",
        r.badge,
        r.info.label
    );
    Ok(())
}

fn endpoint_receiver(ep: u64) -> ! {
    let r = ipc::recv(ep);
    put(WORD, r.badge);
    put(LABEL, r.info.label);
    put(DONE, 1);
    park()
}

fn ntfn_bound_signal_ends_endpoint_recv(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let s = env.mint(n, Rights::ALL, 0x8)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let t = env.spawn_stopped(endpoint_receiver, ep)?;
    tcb::bind_notification(t.tcb, n).ctx("bind")?;
    tcb::resume(t.tcb).ctx("resume")?;
    settle(5);
    ensure!(get(DONE) == 0, "Recv returned before anything happened");
    ipc::signal(s).ctx("signal")?;
    wait_board(
        DONE,
        1,
        "a signal to the bound notification did not end the endpoint Recv",
    )?;
    ensure!(
        get(WORD) == 0x8 && get(LABEL) == 0,
        "got word {:#x} label {}, expected 0x8 and 0",
        get(WORD),
        get(LABEL)
    );
    Ok(())
}

fn ntfn_unbind_stops_delivery(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    let s = env.mint(n, Rights::ALL, 0x8)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    let t = env.spawn_stopped(endpoint_receiver, ep)?;
    tcb::bind_notification(t.tcb, n).ctx("bind")?;
    tcb::unbind_notification(t.tcb).ctx("unbind")?;
    tcb::resume(t.tcb).ctx("resume")?;
    settle(5);
    ipc::signal(s).ctx("signal")?;
    settle(10);
    ensure!(
        get(DONE) == 0,
        "an unbound notification still ended the endpoint Recv"
    );
    ipc::nb_send(ep, Outgoing::new(0x12, &[])).ctx("NBSend")?;
    wait_board(DONE, 1, "the receiver did not get the endpoint message")?;
    ensure!(get(LABEL) == 0x12, "label {:#x}", get(LABEL));
    Ok(())
}

fn ntfn_delete_wakes_waiter(env: &mut Env) -> Outcome {
    let n = env.alloc(ObjectType::Notification)?;
    env.spawn(waiter, n, 0)?;
    settle(5);
    cnode::delete(env.slot(n)).ctx("delete")?;
    wait_board(
        DONE,
        1,
        "the waiter stayed blocked on a destroyed notification",
    )?;
    ensure!(
        get(LABEL) == Error::InvalidCapability as u64,
        "the waiter's Wait ended with label {}, expected InvalidCapability",
        get(LABEL)
    );
    Ok(())
}

fn ntfn_bind_needs_a_notification(env: &mut Env) -> Outcome {
    let t = env.alloc(ObjectType::Tcb)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err_mr0(
        tcb::bind_notification(t, ep),
        "bind an endpoint",
        Error::InvalidCapability,
        1,
    )?;
    let n = env.alloc(ObjectType::Notification)?;
    tcb::bind_notification(t, n).ctx("bind")?;
    expect_err(
        tcb::bind_notification(t, n),
        "bind twice",
        Error::IllegalOperation,
    )?;
    Ok(())
}
