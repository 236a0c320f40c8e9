//! The PL011 UART's registers (ARM DDI 0183) and the few operations the
//! driver needs.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    DR [
        DATA OFFSET(0) NUMBITS(8) []
    ],
    FR [
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) []
    ],
    /// IMSC (interrupt mask) and ICR (interrupt clear) share this layout.
    INT [
        RX OFFSET(4) NUMBITS(1) [],
        TX OFFSET(5) NUMBITS(1) [],
        RT OFFSET(6) NUMBITS(1) []
    ]
];

register_structs! {
    /// The PL011's registers.
    pub Registers {
        (0x00 => dr: ReadWrite<u32, DR::Register>),
        (0x04 => _rsr_ecr),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _ilpr_to_cr),
        (0x38 => imsc: ReadWrite<u32, INT::Register>),
        (0x3c => _ris_mis),
        (0x44 => icr: WriteOnly<u32, INT::Register>),
        (0x48 => @END),
    }
}

// SAFETY: every field is a tock-registers register (volatile, interior
// mutability) or reserved padding.
unsafe impl tessera_rt::component::Mmio for Registers {}

/// Bounded wait for transmit-FIFO space: a wedged UART drops the byte
/// rather than hanging the driver (and every component printing).
const TX_SPINS: u32 = 100_000;

/// A PL011 this driver owns.
#[derive(Clone, Copy)]
pub struct Pl011 {
    regs: &'static Registers,
}

impl Pl011 {
    /// Takes over the UART: its receive interrupts (data and timeout) on,
    /// anything pending cleared. The baud rate and line settings are
    /// left as the firmware and kernel set them.
    pub fn new(regs: &'static Registers) -> Self {
        regs.icr.write(INT::RX::SET + INT::TX::SET + INT::RT::SET);
        regs.imsc.write(INT::RX::SET + INT::RT::SET);
        Self { regs }
    }

    /// Sends one byte as it is.
    pub fn put(&self, byte: u8) {
        for _ in 0..TX_SPINS {
            if !self.regs.fr.is_set(FR::TXFF) {
                self.regs.dr.write(DR::DATA.val(u32::from(byte)));
                return;
            }
            core::hint::spin_loop();
        }
    }

    /// Sends bytes, each `\n` as `\r\n` (what a terminal needs).
    pub fn write(&self, bytes: impl IntoIterator<Item = u8>) -> u64 {
        let mut n = 0;
        for b in bytes {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
            n += 1;
        }
        n
    }

    /// The next received byte, if any.
    pub fn get(&self) -> Option<u8> {
        if self.regs.fr.is_set(FR::RXFE) {
            return None;
        }
        Some(self.regs.dr.read(DR::DATA) as u8)
    }

    /// Clears the receive interrupts (before draining the FIFO; reading it
    /// empty clears them too).
    pub fn clear_receive(&self) {
        self.regs.icr.write(INT::RX::SET + INT::RT::SET);
    }
}

impl core::fmt::Write for Pl011 {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write(s.bytes());
        Ok(())
    }
}
