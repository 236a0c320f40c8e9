//! Interrupts as IPC: claiming lines through IRQControl, delivery to a
//! bound notification (lines are made pending with the test kernel's
//! DebugTriggerIrq), masking until Ack, Clear, and release of a line when
//! its handler capability is deleted. Each case uses its own line and
//! deletes its handler (handler caps descend from IRQControl, not from the
//! case's Untyped).

use tessera_rt::abi::{Error, InitialSlot, ObjectType, Rights};
use tessera_rt::invoke::cnode;
use tessera_rt::invoke::irq::{self, Trigger};
use tessera_rt::{debug, ipc};

use crate::harness::{Case, Context, Env, Outcome, expect_err, poll_for, settle};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(irq_get_rejects_lines_it_cannot_claim),
    case!(irq_line_claimed_once_until_its_handler_goes),
    case!(irq_delivered_as_notification_and_masked_until_ack),
    case!(irq_handler_needs_a_writable_notification),
];

fn control() -> u64 {
    InitialSlot::IrqControl.cptr()
}

/// Claims `intid` (edge-triggered, core 0) into a fresh slot.
fn claim(env: &mut Env, intid: u64) -> Result<u64, crate::harness::Reason> {
    let dest = env.free_slot()?;
    irq::get(control(), intid, Trigger::Edge, 0, env.slot(dest)).ctx("claiming the line")?;
    Ok(dest)
}

fn irq_get_rejects_lines_it_cannot_claim(env: &mut Env) -> Outcome {
    let dest = env.free_slot()?;
    let d = expect_err(
        irq::get(control(), 26, Trigger::Level, 0, env.slot(dest)),
        "claim the kernel's timer PPI",
        Error::RangeError,
    )?;
    ensure!(
        d[0] == 32,
        "range starts at {}, expected the first SPI, 32",
        d[0]
    );
    expect_err(
        irq::get(control(), 5000, Trigger::Level, 0, env.slot(dest)),
        "claim line 5000",
        Error::RangeError,
    )?;
    expect_err(
        irq::get(control(), 200, Trigger::Level, 99, env.slot(dest)),
        "route to core 99",
        Error::RangeError,
    )?;
    let bad_trigger = tessera_rt::invoke::invoke(
        control(),
        tessera_rt::abi::Label::IrqControlGet,
        &[200, 7, 0, dest, 64],
        &[env.res.cnode],
    );
    expect_err(bad_trigger, "trigger mode 7", Error::InvalidArgument)?;
    Ok(())
}

fn irq_line_claimed_once_until_its_handler_goes(env: &mut Env) -> Outcome {
    let handler = claim(env, 201)?;
    let other = env.free_slot()?;
    expect_err(
        irq::get(control(), 201, Trigger::Edge, 0, env.slot(other)),
        "claim a claimed line",
        Error::RevokeFirst,
    )?;
    cnode::delete(env.slot(handler)).ctx("deleting the handler")?;
    irq::get(control(), 201, Trigger::Edge, 0, env.slot(other))
        .ctx("claiming the released line")?;
    cnode::delete(env.slot(other)).ctx("deleting the second handler")?;
    Ok(())
}

fn irq_delivered_as_notification_and_masked_until_ack(env: &mut Env) -> Outcome {
    let handler = claim(env, 202)?;
    let n = env.alloc(ObjectType::Notification)?;
    let badged = env.mint(n, Rights::ALL, 0x4)?;
    irq::set_notification(handler, badged).ctx("binding the notification")?;
    ensure!(
        debug::trigger_irq(202),
        "the kernel did not make line 202 pending"
    );
    let r = poll_for("the interrupt's signal", || ipc::poll(n))?;
    ensure!(
        r.badge == 0x4,
        "word {:#x}, expected the badge 0x4",
        r.badge
    );

    // Masked until Ack: a second interrupt waits in the controller.
    ensure!(debug::trigger_irq(202), "second trigger refused");
    settle(5);
    let r = ipc::poll(n);
    ensure!(r.badge == 0, "signalled {:#x} before Ack", r.badge);
    irq::ack(handler).ctx("ack")?;
    let r = poll_for("the interrupt held until Ack", || ipc::poll(n))?;
    ensure!(
        r.badge == 0x4,
        "word {:#x} after Ack, expected 0x4",
        r.badge
    );

    // Clear: no more signals.
    irq::ack(handler).ctx("second ack")?;
    irq::clear(handler).ctx("clear")?;
    ensure!(debug::trigger_irq(202), "third trigger refused");
    settle(5);
    let r = ipc::poll(n);
    ensure!(r.badge == 0, "signalled {:#x} after Clear", r.badge);
    cnode::delete(env.slot(handler)).ctx("deleting the handler")?;
    Ok(())
}

fn irq_handler_needs_a_writable_notification(env: &mut Env) -> Outcome {
    let handler = claim(env, 203)?;
    let ep = env.alloc(ObjectType::Endpoint)?;
    expect_err(
        irq::set_notification(handler, ep),
        "bind an endpoint",
        Error::InvalidCapability,
    )?;
    let n = env.alloc(ObjectType::Notification)?;
    let read_only = env.copy(n, Rights::READ)?;
    expect_err(
        irq::set_notification(handler, read_only),
        "bind a read-only notification",
        Error::InvalidCapability,
    )?;
    let missing = env.free_slot()?;
    match irq::set_notification(handler, missing) {
        Err(e) if e.error == Error::FailedLookup => {}
        other => fail!("binding an empty slot gave {other:?}, expected FailedLookup"),
    }
    cnode::delete(env.slot(handler)).ctx("deleting the handler")?;
    Ok(())
}
