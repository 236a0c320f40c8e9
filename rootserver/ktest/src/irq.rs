//! Interrupts as IPC: claiming lines through IRQControl, delivery to a
//! bound notification (lines are made pending with the test kernel's
//! DebugTriggerIrq), masking until Ack, Clear, and release of a line when
//! its handler capability is deleted. Each case uses its own line and
//! deletes its handler (handler caps descend from IRQControl, not from the
//! case's Untyped).

use tessera_rt::abi::{Error, InitialSlot, ObjectType, Rights};
use tessera_rt::invoke::cnode;
use tessera_rt::invoke::irq::{self, Trigger};
use tessera_rt::{debug, ipc, timer};

use crate::harness::{Case, Context, Env, Outcome, expect_err, poll_for, settle};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(irq_get_rejects_lines_it_cannot_claim),
    case!(irq_line_claimed_once_until_its_handler_goes),
    case!(irq_delivered_as_notification_and_masked_until_ack),
    case!(irq_handler_needs_a_writable_notification),
    case!(irq_timer_ppi_is_one_line_per_core),
    case!(irq_timer_ppi_delivers_level_until_disarmed),
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
    // The reschedule SGI, VGIC maintenance, the kernel's timer, the guest
    // virtual timer and the EL1 physical timer stay the kernel's.
    for intid in [0, 25, 26, 27, 30] {
        let d = expect_err(
            irq::get(control(), intid, Trigger::Level, 0, env.slot(dest)),
            "claim a line the kernel keeps",
            Error::InvalidArgument,
        )?;
        ensure!(
            d[0] == 0,
            "INTID {intid}: argument {} blamed, expected 0",
            d[0]
        );
    }
    let d = expect_err(
        irq::get(control(), 28, Trigger::Edge, 0, env.slot(dest)),
        "claim the EL2 virtual timer edge-triggered",
        Error::InvalidArgument,
    )?;
    ensure!(
        d[0] == 1,
        "argument {} blamed, expected the trigger, 1",
        d[0]
    );
    let d = expect_err(
        irq::get(control(), 1020, Trigger::Level, 0, env.slot(dest)),
        "claim line 1020",
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

fn irq_timer_ppi_is_one_line_per_core(env: &mut Env) -> Outcome {
    let core0 = env.free_slot()?;
    irq::get(control(), timer::INTID, Trigger::Level, 0, env.slot(core0))
        .ctx("claiming the timer PPI of core 0")?;
    let again = env.free_slot()?;
    expect_err(
        irq::get(control(), timer::INTID, Trigger::Level, 0, env.slot(again)),
        "claim core 0's timer PPI twice",
        Error::RevokeFirst,
    )?;
    irq::get(control(), timer::INTID, Trigger::Level, 1, env.slot(again))
        .ctx("claiming the timer PPI of core 1, another line")?;
    cnode::delete(env.slot(again)).ctx("deleting core 1's handler")?;
    cnode::delete(env.slot(core0)).ctx("deleting core 0's handler")?;
    Ok(())
}

/// The suite runs on core 0: its EL2 virtual timer, programmed from EL0,
/// raises PPI 28 there.
fn irq_timer_ppi_delivers_level_until_disarmed(env: &mut Env) -> Outcome {
    // Unclaimed, the line is masked by the kernel when it fires, and
    // nothing else happens.
    timer::set_deadline(timer::counter());
    settle(5);
    let handler = env.free_slot()?;
    irq::get(
        control(),
        timer::INTID,
        Trigger::Level,
        0,
        env.slot(handler),
    )
    .ctx("claiming the timer PPI")?;
    let n = env.alloc(ObjectType::Notification)?;
    let badged = env.mint(n, Rights::ALL, 0x10)?;
    // Binding unmasks the line; the timer's condition still holds (level),
    // so it is delivered at once.
    irq::set_notification(handler, badged).ctx("binding the notification")?;
    let r = poll_for("the expired timer's signal", || ipc::poll(n))?;
    ensure!(r.badge == 0x10, "word {:#x}, expected 0x10", r.badge);

    // A deadline in the future: nothing before it, the signal after.
    let hz = timer::counter_hz();
    let deadline = timer::counter() + timer::ns_to_ticks(2_000_000, hz);
    timer::set_deadline(deadline);
    irq::ack(handler).ctx("ack")?;
    let early = ipc::poll(n);
    if timer::counter() < deadline {
        ensure!(
            early.badge == 0,
            "signalled {:#x} before the deadline",
            early.badge
        );
    }
    // Time itself bounds this wait.
    while timer::counter() < deadline {
        core::hint::spin_loop();
    }
    let r = poll_for("the timer's signal", || ipc::poll(n))?;
    let now = timer::counter();
    ensure!(r.badge == 0x10, "word {:#x}, expected 0x10", r.badge);
    ensure!(
        now >= deadline,
        "signalled at {now}, before the deadline {deadline}"
    );

    // Disarmed, Ack brings nothing more.
    timer::disable();
    irq::ack(handler).ctx("second ack")?;
    settle(5);
    let r = ipc::poll(n);
    ensure!(
        r.badge == 0,
        "signalled {:#x} after the timer stopped",
        r.badge
    );
    cnode::delete(env.slot(handler)).ctx("deleting the handler")?;
    Ok(())
}
