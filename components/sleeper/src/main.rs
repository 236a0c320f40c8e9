//! A test client of the timer service (`systems/tests/timer.toml`): it
//! asks for a few timeouts in turn, measures on the system counter when
//! each wake-up arrives, and reports whether any came early. Its channels
//! are `<name>_timer` (calls) and `<name>_timer_wake` (wake-ups), as the
//! timer's protocol pairs them (`tessera_rt::timeout`).
#![no_std]
#![no_main]

use tessera_rt::component::{Channel, Component, Context, Message};
use tessera_rt::{println, timeout, timer};

/// The timeouts asked for, in nanoseconds.
const DELAYS_NS: [u64; 3] = [10_000_000, 30_000_000, 20_000_000];

struct Sleeper {
    name: &'static str,
    call: Channel,
    wake: Channel,
    hz: u64,
    round: usize,
    asked_at: u64,
    early: usize,
}

impl Component for Sleeper {
    fn init(ctx: &Context) -> Self {
        let name = ctx.name();
        let find = |suffix: &str| {
            ctx.channels()
                .find(|c| c.name().strip_prefix(name) == Some(suffix))
                .unwrap_or_else(|| panic!("{name}: no channel {name}{suffix}"))
        };
        let mut sleeper = Sleeper {
            name,
            call: find("_timer"),
            wake: find("_timer_wake"),
            hz: timer::counter_hz(),
            round: 0,
            asked_at: 0,
            early: 0,
        };
        sleeper.ask();
        sleeper
    }

    fn notified(&mut self, _ctx: &Context, channel: Channel) {
        if channel != self.wake {
            return;
        }
        let elapsed = timer::ticks_to_ns(timer::counter() - self.asked_at, self.hz);
        let asked = DELAYS_NS[self.round];
        let verdict = if elapsed >= asked { "on time" } else { "EARLY" };
        if elapsed < asked {
            self.early += 1;
        }
        println!(
            "{}: woke after {} us, asked {} us: {verdict}",
            self.name,
            elapsed / 1000,
            asked / 1000
        );
        self.round += 1;
        if self.round < DELAYS_NS.len() {
            self.ask();
        } else {
            println!(
                "{}: {} timeouts, {} early",
                self.name,
                DELAYS_NS.len(),
                self.early
            );
        }
    }
}

impl Sleeper {
    /// Asks the timer for this round's timeout.
    fn ask(&mut self) {
        self.asked_at = timer::counter();
        let delay = DELAYS_NS[self.round];
        match self.call.call(&Message::new(timeout::SET, &[delay])) {
            Ok(reply) if reply.label() == 0 => {}
            Ok(reply) => println!("{}: the timer refused: label {}", self.name, reply.label()),
            Err(e) => println!("{}: cannot call the timer: {e}", self.name),
        }
    }
}

tessera_rt::component!(Sleeper);
