//! The serial driver: a native component that owns the PL011 UART (the
//! device named `uart` in the system description) and its interrupt.
//!
//! - **Receive**, by interrupt: every byte typed is echoed; a line ends
//!   with Enter and goes to [`Serial::line`], the place where console input
//!   will be routed to other components (the VMM needs it); today the
//!   driver reports the line. Backspace edits the line.
//! - **Transmit** for other components: a protected call with the console
//!   protocol of `tessera_rt::console` (label `WRITE`, bytes packed in the
//!   message). A component whose system-description entry names a
//!   `console` channel to this driver prints with `println!` this way.
//!
//! The kernel keeps writing its own log lines to the same UART. Sharing it
//! is safe: the kernel only transmits, and only this driver touches the
//! receive side and the interrupt mask; bytes both write at the same moment
//! may interleave.
#![no_std]
#![no_main]

mod pl011;

use core::fmt::Write;

use tessera_rt::component::{Channel, Component, Context, End, Message};
use tessera_rt::console;

use pl011::Pl011;

/// The longest input line kept; longer lines are cut.
const LINE_MAX: usize = 128;

struct Serial {
    uart: Pl011,
    irq: Channel,
    line: [u8; LINE_MAX],
    len: usize,
    /// The last byte was a carriage return (so a line feed right after it
    /// ends no second line).
    after_cr: bool,
}

impl Component for Serial {
    fn init(ctx: &Context) -> Self {
        let uart = ctx
            .memory("uart")
            .and_then(|m| m.registers::<pl011::Registers>())
            .expect("serial: no device \"uart\" large enough for a PL011");
        let irq = ctx
            .channels()
            .find(|c| matches!(c.end(), End::Interrupt(_)))
            .expect("serial: no interrupt");
        let mut uart = Pl011::new(uart);
        let _ = writeln!(uart, "serial: ready on core {}, {irq}", ctx.core());
        Serial {
            uart,
            irq,
            line: [0; LINE_MAX],
            len: 0,
            after_cr: false,
        }
    }

    fn notified(&mut self, _ctx: &Context, channel: Channel) {
        if channel != self.irq {
            return;
        }
        // Clear first, then drain: a byte arriving after the last read raises
        // the interrupt again. (Clearing after the drain could swallow the
        // interrupt of a byte that came in between, and with it every byte
        // after: the UART takes no more until that one is read.)
        self.uart.clear_receive();
        while let Some(byte) = self.uart.get() {
            self.received(byte);
        }
        if let Err(e) = self.irq.irq_ack() {
            let _ = writeln!(self.uart, "serial: cannot acknowledge {}: {e}", self.irq);
        }
    }

    fn protected(&mut self, _ctx: &Context, _channel: Channel, msg: &Message) -> Message {
        match msg.label() {
            console::WRITE => {
                let written = self.uart.write(console::unpack(msg.words()));
                Message::new(0, &[written])
            }
            _ => Message::unhandled(),
        }
    }
}

impl Serial {
    /// One received byte: echo it and collect the line.
    fn received(&mut self, byte: u8) {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\n' if after_cr => {}
            b'\r' | b'\n' => {
                self.uart.write(*b"\n");
                let len = core::mem::take(&mut self.len);
                self.line(len);
            }
            0x08 | 0x7f => {
                if self.len > 0 {
                    self.len -= 1;
                    self.uart.write(*b"\x08 \x08");
                }
            }
            _ => {
                self.uart.put(byte);
                if self.len < LINE_MAX {
                    self.line[self.len] = byte;
                    self.len += 1;
                }
            }
        }
    }

    /// A complete input line (its first `len` bytes). Routing console input
    /// to a component (a VMM's guest console, a shell) goes here; until a
    /// component asks for input, the driver reports the line.
    fn line(&mut self, len: usize) {
        let text = core::str::from_utf8(&self.line[..len]).unwrap_or("(not UTF-8)");
        let _ = writeln!(self.uart, "serial: input line {text:?}");
    }
}

tessera_rt::component!(Serial);
