//! Trapped system register accesses (EC 0x18) and register encodings.

use crate::field::{bit, bits_u8};

/// Packs a system register's `op0, op1, CRn, CRm, op2` into one number.
///
/// The fields sit where an MRS or MSR instruction holds them (op0 at bit
/// 19, op1 at 16, CRn at 12, CRm at 8, op2 at 5), so a value can be checked
/// against a disassembler's output. Each argument is cut to its field width
/// (2, 3, 4, 4, 3 bits), so two different registers never collide and the
/// function cannot overflow. Use it to build `match` arms for trapped
/// registers, compared with [`SysRegAccess::encoding`].
pub const fn sysreg_encoding(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> u32 {
    ((op0 as u32 & 0x3) << 19)
        | ((op1 as u32 & 0x7) << 16)
        | ((crn as u32 & 0xF) << 12)
        | ((crm as u32 & 0xF) << 8)
        | ((op2 as u32 & 0x7) << 5)
}

/// ICC_SGI1R_EL1: a guest sends a Group 1 SGI (inter-processor interrupt);
/// the VMM traps it to deliver the SGI to the target vCPUs.
pub const ICC_SGI1R_EL1: u32 = sysreg_encoding(3, 0, 12, 11, 5);
/// CNTP_CTL_EL0: EL1 physical timer control, trapped when a guest's
/// physical timer is emulated.
pub const CNTP_CTL_EL0: u32 = sysreg_encoding(3, 3, 14, 2, 1);
/// CNTP_CVAL_EL0: EL1 physical timer compare value.
pub const CNTP_CVAL_EL0: u32 = sysreg_encoding(3, 3, 14, 2, 2);
/// CNTP_TVAL_EL0: EL1 physical timer value, relative to the counter.
pub const CNTP_TVAL_EL0: u32 = sysreg_encoding(3, 3, 14, 2, 0);

/// Direction: set for a read (MRS), clear for a write (MSR).
const DIRECTION: u32 = 0;
/// CRm, bits `[4:1]`.
const CRM: u32 = 1;
/// Rt, bits `[9:5]`.
const RT: u32 = 5;
/// CRn, bits `[13:10]`.
const CRN: u32 = 10;
/// Op1, bits `[16:14]`.
const OP1: u32 = 14;
/// Op2, bits `[19:17]`.
const OP2: u32 = 17;
/// Op0, bits `[21:20]`.
const OP0: u32 = 20;

/// A trapped MSR, MRS or system instruction, as the VMM emulates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SysRegAccess {
    /// Op0, 2 bits.
    pub op0: u8,
    /// Op1, 3 bits.
    pub op1: u8,
    /// CRn, 4 bits.
    pub crn: u8,
    /// CRm, 4 bits.
    pub crm: u8,
    /// Op2, 3 bits.
    pub op2: u8,
    /// The general-purpose register transferred (Rt); 31 means xzr.
    pub register: u8,
    /// True for MRS (the guest reads the register into `register`), false
    /// for MSR (the guest writes `register` into it).
    pub read: bool,
}

impl SysRegAccess {
    /// Decodes the ISS of a trapped system register access.
    pub const fn from_iss(iss: u32) -> Self {
        let iss = iss as u64;
        Self {
            op0: bits_u8(iss, OP0, 2),
            op1: bits_u8(iss, OP1, 3),
            crn: bits_u8(iss, CRN, 4),
            crm: bits_u8(iss, CRM, 4),
            op2: bits_u8(iss, OP2, 3),
            register: bits_u8(iss, RT, 5),
            read: bit(iss, DIRECTION),
        }
    }

    /// Which register was accessed, comparable with [`sysreg_encoding`]
    /// and the named constants such as [`ICC_SGI1R_EL1`].
    pub const fn encoding(&self) -> u32 {
        sysreg_encoding(self.op0, self.op1, self.crn, self.crm, self.op2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_registers_are_distinct() {
        let all = [ICC_SGI1R_EL1, CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0];
        for (i, a) in all.iter().enumerate() {
            for b in all.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn encoding_matches_the_mrs_instruction() {
        // `mrs x0, cntp_ctl_el0` assembles to 0xd53be220: the register
        // fields are bits [20:5] of the instruction.
        assert_eq!(CNTP_CTL_EL0, 0xd53b_e220 & 0x001F_FFE0);
        // `msr icc_sgi1r_el1, x0` assembles to 0xd518cba0.
        assert_eq!(ICC_SGI1R_EL1, 0xd518_cba0 & 0x001F_FFE0);
    }
}
