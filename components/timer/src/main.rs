//! The timer service: timeouts for other components, from a timer
//! interrupt.
//!
//! It owns its core's EL2 virtual timer, the one timer the kernel leaves
//! to user level (its interrupt is PPI 28, given to this component in the
//! system description; the registers are `tessera_rt::timer`). Clients set
//! a timeout with a protected call and are woken by a notification when it
//! expires; the protocol and the channel naming are in
//! `tessera_rt::timeout`. The timer is programmed for the earliest pending
//! deadline; each interrupt wakes every client whose deadline has passed.
//! Deadlines are absolute counter values, so nothing drifts with the time
//! the service takes.
#![no_std]
#![no_main]

use tessera_rt::component::{Channel, Component, Context, End, Message};
use tessera_rt::{println, timeout, timer};

/// Local ids are below 63, so this covers every calling channel.
const MAX_CLIENTS: usize = 63;

/// One client's pending timeout.
#[derive(Clone, Copy)]
struct Pending {
    wake: Channel,
    deadline: u64,
}

struct Timer {
    irq: Channel,
    hz: u64,
    /// By the calling channel's local id.
    pending: [Option<Pending>; MAX_CLIENTS],
}

impl Component for Timer {
    fn init(ctx: &Context) -> Self {
        let irq = ctx
            .interrupt(timer::INTID as u16)
            .expect("timer: no interrupt 28 (the EL2 virtual timer)");
        timer::disable();
        // The line is unmasked once bound; ack in case it fired before.
        let _ = irq.irq_ack();
        let hz = timer::counter_hz();
        println!("timer: ready on core {}, counter at {hz} Hz", ctx.core());
        Timer {
            irq,
            hz,
            pending: [None; MAX_CLIENTS],
        }
    }

    fn notified(&mut self, _ctx: &Context, channel: Channel) {
        if channel != self.irq {
            return;
        }
        let now = timer::counter();
        for slot in self.pending.iter_mut() {
            if let Some(p) = *slot
                && p.deadline <= now
            {
                *slot = None;
                if let Err(e) = p.wake.notify() {
                    println!("timer: cannot wake {}: {e}", p.wake);
                }
            }
        }
        self.program();
        if let Err(e) = self.irq.irq_ack() {
            println!("timer: cannot acknowledge the interrupt: {e}");
        }
    }

    fn protected(&mut self, ctx: &Context, channel: Channel, msg: &Message) -> Message {
        let index = usize::from(channel.id());
        match msg.label() {
            timeout::SET => {
                let Some(wake) = wake_channel(ctx, channel) else {
                    return Message::empty(timeout::NO_WAKE_CHANNEL);
                };
                let delay = timer::ns_to_ticks(msg.word(0), self.hz);
                let deadline = timer::counter().saturating_add(delay);
                if let Some(slot) = self.pending.get_mut(index) {
                    *slot = Some(Pending { wake, deadline });
                }
                self.program();
                Message::new(0, &[deadline])
            }
            timeout::CANCEL => {
                if let Some(slot) = self.pending.get_mut(index) {
                    *slot = None;
                }
                self.program();
                Message::empty(0)
            }
            timeout::NOW => Message::new(0, &[timer::counter(), self.hz]),
            _ => Message::unhandled(),
        }
    }
}

impl Timer {
    /// Arms the timer for the earliest pending deadline, or stops it.
    fn program(&self) {
        match self.pending.iter().flatten().map(|p| p.deadline).min() {
            Some(deadline) => timer::set_deadline(deadline),
            None => timer::disable(),
        }
    }
}

/// The notification channel that wakes the client calling on `call`.
fn wake_channel(ctx: &Context, call: Channel) -> Option<Channel> {
    ctx.channels().find(|c| {
        matches!(c.end(), End::Signaller) && timeout::is_wake_channel_of(c.name(), call.name())
    })
}

tessera_rt::component!(Timer);
