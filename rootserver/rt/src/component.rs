//! Native components: the runtime side of a component the rootserver built
//! from the system description.
//!
//! A component is a type implementing [`Component`] and a
//! [`component!`](crate::component!) line naming it. The runtime then
//!
//! 1. reads the component-info page the rootserver mapped (name, channels,
//!    interrupts, memory, console: see [`tessera_component_info`]) into the
//!    [`Context`];
//! 2. sends `println!` through the component's console channel, if the
//!    system description gives it one;
//! 3. calls [`Component::init`];
//! 4. waits on the component's endpoint forever, calling
//!    [`Component::notified`] once for each channel that was signalled (or
//!    interrupt that fired) and [`Component::protected`] for each protected
//!    call, whose result is the reply.
//!
//! Handlers run one at a time on the component's single thread; a handler
//! may itself notify, call and acknowledge interrupts. Modelled on seL4
//! Microkit's `init`, `notified` and `protected`.
//!
//! ```ignore
//! use tessera_rt::component::{Channel, Component, Context, Message};
//!
//! struct Hello {
//!     calls: u64,
//! }
//!
//! impl Component for Hello {
//!     fn init(ctx: &Context) -> Self {
//!         tessera_rt::println!("{}: hello on core {}", ctx.name(), ctx.core());
//!         Hello { calls: 0 }
//!     }
//!
//!     fn protected(&mut self, _ctx: &Context, _from: Channel, msg: &Message) -> Message {
//!         self.calls += 1;
//!         Message::new(0, &[msg.word(0) + 1])
//!     }
//! }
//!
//! tessera_rt::component!(Hello);
//! ```

mod channel;
mod context;
mod memory;
mod message;

pub use channel::{Channel, ChannelError, End};
pub use context::Context;
pub use memory::{AccessError, Memory, Mmio};
pub use message::Message;

use tessera_component_info::badge::{self, Event};
use tessera_component_info::slots;

use crate::ipc::{self, Outgoing};

/// A native component's behaviour. Only [`init`](Component::init) is
/// required.
pub trait Component: Sized {
    /// Builds the component's state, once, before any event. Look up
    /// channels and memory here and keep them.
    fn init(ctx: &Context) -> Self;

    /// Channel `channel` was signalled (a notification channel whose `to`
    /// this component is) or, for an interrupt channel, the interrupt
    /// fired: handle it and acknowledge it with
    /// [`Channel::irq_ack`]. Several signals of one channel before the
    /// component waits again arrive as one call.
    fn notified(&mut self, ctx: &Context, channel: Channel) {
        let _ = (ctx, channel);
    }

    /// A protected call arrived through `channel` (an endpoint channel
    /// whose `to` this component is); the message returned is the reply.
    /// The default answers [`Message::unhandled`].
    fn protected(&mut self, ctx: &Context, channel: Channel, msg: &Message) -> Message {
        let _ = (ctx, channel, msg);
        Message::unhandled()
    }
}

/// Declares the program's component type: `component!(MyComponent)`.
/// It defines the program's entry (and panic handler, which prints the
/// panic and stops the component, so the rootserver reports it).
#[macro_export]
macro_rules! component {
    ($component:ty) => {
        fn __tessera_component_main(_info: u64) -> ! {
            $crate::component::run::<$component>()
        }
        $crate::entry!(__tessera_component_main);
    };
}

/// The component's life: read the info page, start the console, `init`,
/// then handle events forever. [`component!`](crate::component!) calls it.
pub fn run<C: Component>() -> ! {
    let ctx = match Context::load() {
        Ok(ctx) => ctx,
        Err(e) => {
            crate::println!("component: unusable component-info page: {e}");
            crate::start::stop_thread()
        }
    };
    if let Some(console) = ctx.console() {
        crate::console::set_channel(console);
    }
    let mut component = C::init(ctx);
    serve(&mut component, ctx)
}

/// Waits on the endpoint and dispatches each event.
fn serve<C: Component>(component: &mut C, ctx: &'static Context) -> ! {
    let mut reply: Option<Message> = None;
    loop {
        let received = match reply.take() {
            Some(m) => ipc::reply_recv(slots::ENDPOINT, Outgoing::new(m.label(), m.words())),
            None => ipc::recv(slots::ENDPOINT),
        };
        match badge::event(received.badge) {
            Event::Call(id) => {
                // Read the message before anything else uses the IPC buffer.
                let msg = Message::received(&received);
                reply = Some(match ctx.channel_with_id(id) {
                    Some(channel) => component.protected(ctx, channel, &msg),
                    None => Message::unhandled(),
                });
            }
            Event::Notified(_) if received.info.label != 0 => {
                // Not a signal (those have label 0): the receive failed.
                let error = received.as_result().err();
                crate::println!("{}: waiting failed: {error:?}", ctx.name());
                crate::start::stop_thread()
            }
            Event::Notified(ids) => {
                for id in ids {
                    if let Some(channel) = ctx.channel_with_id(id) {
                        component.notified(ctx, channel);
                    }
                }
            }
        }
    }
}
