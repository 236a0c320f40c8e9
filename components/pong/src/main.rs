//! `pong`, the other half of the example pair (see `ping`): it answers
//! ping's round trips through the shared region and notifications, and its
//! protected calls.
#![no_std]
#![no_main]

use tessera_rt::component::{Channel, Component, Context, Memory, Message};
use tessera_rt::println;

/// A call answered with its word 0 + 1 (the protocol is in ping too).
const PING: u64 = 1;
/// A call on which pong prints its counts.
const REPORT: u64 = 2;
/// Word offsets in `shared`: ping's round, pong's copy of it.
const ROUND: u64 = 0;
const ECHO: u64 = 8;

struct Pong {
    shared: Memory,
    from_ping: Channel,
    to_ping: Channel,
    notifications: u64,
    calls: u64,
}

impl Component for Pong {
    fn init(ctx: &Context) -> Self {
        let pong = Pong {
            shared: ctx
                .memory("shared")
                .expect("pong: no memory region \"shared\""),
            from_ping: ctx
                .channel("ping_to_pong")
                .expect("pong: no channel ping_to_pong"),
            to_ping: ctx
                .channel("pong_to_ping")
                .expect("pong: no channel pong_to_ping"),
            notifications: 0,
            calls: 0,
        };
        println!(
            "pong: ready on core {}, shared region at {:#x}",
            ctx.core(),
            pong.shared.vaddr()
        );
        pong
    }

    fn notified(&mut self, _ctx: &Context, channel: Channel) {
        if channel != self.from_ping {
            return;
        }
        self.notifications += 1;
        let copied = self
            .shared
            .read_u64(ROUND)
            .and_then(|round| self.shared.write_u64(ECHO, round));
        if let Err(e) = copied {
            println!("pong: cannot use the shared region: {e}");
        } else if let Err(e) = self.to_ping.notify() {
            println!("pong: cannot signal ping: {e}");
        }
    }

    fn protected(&mut self, _ctx: &Context, _channel: Channel, msg: &Message) -> Message {
        match msg.label() {
            PING => {
                self.calls += 1;
                Message::new(0, &[msg.word(0) + 1])
            }
            REPORT => {
                println!(
                    "pong: answered {} calls and {} notifications",
                    self.calls, self.notifications
                );
                Message::empty(0)
            }
            _ => Message::unhandled(),
        }
    }
}

tessera_rt::component!(Pong);
