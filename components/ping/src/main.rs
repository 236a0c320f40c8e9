//! `ping`, one half of the example pair (`pong` is the other): it plays
//! ping-pong with `pong` first by shared memory and notifications, then by
//! protected calls, and prints the counts.
//!
//! - Notifications: ping writes the round number into word 0 of the shared
//!   region `shared` and signals `ping_to_pong`; pong copies it to word 1
//!   and signals `pong_to_ping`; ping checks the copy and starts the next
//!   round.
//! - Protected calls through `pong_call`: label [`PING`] with a number,
//!   which pong answers with the number + 1; then one [`REPORT`] call, on
//!   which pong prints its own counts.
//! - Then, if the system gives it channels to the timer service
//!   (`ping_timer`, `ping_timer_wake`), it asks for a [`NAP_NS`] timeout and
//!   says when it is woken.
#![no_std]
#![no_main]

use tessera_rt::component::{Channel, Component, Context, Memory, Message};
use tessera_rt::{println, timeout, timer};

/// Round trips of each kind.
const ROUNDS: u64 = 1000;
/// A call pong answers with its word 0 + 1 (the protocol is in pong too).
const PING: u64 = 1;
/// A call on which pong prints its counts.
const REPORT: u64 = 2;
/// Word offsets in `shared`: ping's round, pong's copy of it.
const ROUND: u64 = 0;
const ECHO: u64 = 8;
/// The timeout ping asks the timer service for at the end.
const NAP_NS: u64 = 200_000_000;

struct Ping {
    shared: Memory,
    to_pong: Channel,
    from_pong: Channel,
    call: Channel,
    round: u64,
    /// The timer service's call and wake-up channels, if it has them.
    timer: Option<(Channel, Channel)>,
    /// The counter when it asked the timer.
    asked_at: u64,
}

impl Component for Ping {
    fn init(ctx: &Context) -> Self {
        let ping = Ping {
            shared: ctx
                .memory("shared")
                .expect("ping: no memory region \"shared\""),
            to_pong: ctx
                .channel("ping_to_pong")
                .expect("ping: no channel ping_to_pong"),
            from_pong: ctx
                .channel("pong_to_ping")
                .expect("ping: no channel pong_to_ping"),
            call: ctx
                .channel("pong_call")
                .expect("ping: no channel pong_call"),
            round: 1,
            timer: ctx
                .channel("ping_timer")
                .zip(ctx.channel("ping_timer_wake")),
            asked_at: 0,
        };
        println!(
            "ping: ready on core {}, shared region at {:#x}",
            ctx.core(),
            ping.shared.vaddr()
        );
        ping.serve_round();
        ping
    }

    fn notified(&mut self, _ctx: &Context, channel: Channel) {
        if let Some((_, wake)) = self.timer
            && channel == wake
        {
            let hz = timer::counter_hz();
            let slept = timer::ticks_to_ns(timer::counter() - self.asked_at, hz);
            println!(
                "ping: the timer service woke me after {} ms (asked {} ms)",
                slept / 1_000_000,
                NAP_NS / 1_000_000
            );
            return;
        }
        if channel != self.from_pong {
            return;
        }
        let echo = self.shared.read_u64(ECHO).unwrap_or(u64::MAX);
        if echo != self.round {
            println!("ping: round {} came back as {echo}; stopping", self.round);
            return;
        }
        if self.round < ROUNDS {
            self.round += 1;
            self.serve_round();
        } else {
            println!("ping: {ROUNDS} notification round trips with pong");
            self.calls();
        }
    }
}

impl Ping {
    /// Writes the round number and signals pong.
    fn serve_round(&self) {
        if let Err(e) = self.shared.write_u64(ROUND, self.round) {
            println!("ping: cannot write the shared region: {e}");
        } else if let Err(e) = self.to_pong.notify() {
            println!("ping: cannot signal pong: {e}");
        }
    }

    /// The protected-call ping-pong, then the nap.
    fn calls(&mut self) {
        for n in 0..ROUNDS {
            match self.call.call(&Message::new(PING, &[n])) {
                Ok(reply) if reply.label() == 0 && reply.word(0) == n + 1 => {}
                Ok(reply) => {
                    println!(
                        "ping: call {n} answered label {} word {}",
                        reply.label(),
                        reply.word(0)
                    );
                    return;
                }
                Err(e) => {
                    println!("ping: call {n} failed: {e}");
                    return;
                }
            }
        }
        println!("ping: {ROUNDS} protected calls answered by pong");
        let _ = self.call.call(&Message::empty(REPORT));
        println!("ping: done");
        if let Some((call, _)) = self.timer {
            self.asked_at = timer::counter();
            match call.call(&Message::new(timeout::SET, &[NAP_NS])) {
                Ok(reply) if reply.label() == 0 => {}
                Ok(reply) => println!("ping: the timer refused: label {}", reply.label()),
                Err(e) => println!("ping: cannot call the timer: {e}"),
            }
        }
    }
}

tessera_rt::component!(Ping);
