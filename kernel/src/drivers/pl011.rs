//! A transmit-only PL011 UART driver for the kernel's console. The
//! user-level serial driver (`components/serial`) owns receive and the
//! UART's interrupt; both transmit (bytes written at the same moment may
//! interleave, but neither changes the other's settings).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_bitfields![u32,
    FR [
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) [],
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// PL011 registers (ARM DDI 0183).
    pub Pl011Regs {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => rsr_ecr: ReadWrite<u32>),
        (0x08 => _reserved0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        (0x30 => cr: ReadWrite<u32, CR::Register>),
        (0x34 => ifls: ReadWrite<u32>),
        (0x38 => imsc: ReadWrite<u32>),
        (0x3c => ris: ReadOnly<u32>),
        (0x40 => mis: ReadOnly<u32>),
        (0x44 => icr: WriteOnly<u32>),
        (0x48 => @END),
    }
}

/// Bounded wait for transmit-FIFO space, so a wedged UART cannot hang the
/// kernel: the character is dropped instead.
const TX_SPINS: u32 = 100_000;

/// A PL011 the kernel writes to.
pub struct Pl011 {
    regs: &'static Pl011Regs,
}

// SAFETY: the registers are device memory, not shared Rust data; whoever
// holds the Pl011 (the console, under its lock) is the only one driving it.
unsafe impl Send for Pl011 {}

impl Pl011 {
    /// # Safety
    /// `base` is the mapped (device-memory) address of a PL011 that nothing
    /// else drives while this value exists.
    pub unsafe fn new(base: usize) -> Pl011 {
        // SAFETY: the caller's contract.
        let regs = unsafe { &*(base as *const Pl011Regs) };
        // Keep the firmware's baud-rate and line settings; make sure the UART
        // and its transmitter are on.
        regs.cr.write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
        Pl011 { regs }
    }

    /// Sends one byte.
    pub fn put_byte(&self, byte: u8) {
        for _ in 0..TX_SPINS {
            if !self.regs.fr.is_set(FR::TXFF) {
                self.regs.dr.set(u32::from(byte));
                return;
            }
            core::hint::spin_loop();
        }
    }
}

impl core::fmt::Write for Pl011 {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.put_byte(b'\r');
            }
            self.put_byte(b);
        }
        Ok(())
    }
}
