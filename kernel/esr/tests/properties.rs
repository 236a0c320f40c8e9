//! Properties over all syndromes: decoding is total, and every field that
//! `decode` reports re-encodes to exactly the ISS bits it came from.

use proptest::prelude::*;
use tessera_esr::{
    Abort, DataAbort, Decoded, ExceptionClass, FaultStatus, Syndrome, WfxKind, decode,
};

/// An ISS together with the mask of bits that were decoded from it.
struct Encoded {
    iss: u32,
    mask: u32,
}

/// Re-encodes a decoded value into ISS bits; the inverse of `decode`.
fn reencode(decoded: &Decoded) -> Encoded {
    match *decoded {
        Decoded::DataAbort(abort) => reencode_data_abort(&abort),
        Decoded::InstructionAbort(abort) => reencode_abort(&abort),
        Decoded::Svc { imm } | Decoded::Hvc { imm } | Decoded::Smc { imm } => imm16(imm),
        Decoded::Brk { comment } => imm16(comment),
        Decoded::SysReg(a) => Encoded {
            iss: (u32::from(a.op0) << 20)
                | (u32::from(a.op2) << 17)
                | (u32::from(a.op1) << 14)
                | (u32::from(a.crn) << 10)
                | (u32::from(a.register) << 5)
                | (u32::from(a.crm) << 1)
                | u32::from(a.read),
            mask: 0x003F_FFFF,
        },
        Decoded::Wfx(w) => {
            let ti = match w.kind {
                WfxKind::Wfi => 0,
                WfxKind::Wfe => 1,
                WfxKind::Wfit => 2,
                WfxKind::Wfet => 3,
            };
            match w.timeout_register {
                Some(rn) => Encoded {
                    iss: (u32::from(rn) << 5) | 0b100 | ti,
                    mask: 0x3E7,
                },
                None => Encoded {
                    iss: ti,
                    mask: 0b111,
                },
            }
        }
        Decoded::PcAlignment | Decoded::SpAlignment | Decoded::Unknown => {
            Encoded { iss: 0, mask: 0 }
        }
        Decoded::Other(s) => Encoded {
            iss: s.iss,
            mask: 0x01FF_FFFF,
        },
    }
}

/// An immediate in ISS bits [15:0].
fn imm16(imm: u16) -> Encoded {
    Encoded {
        iss: u32::from(imm),
        mask: 0xFFFF,
    }
}

/// The fields every abort has: FSC, S1PTW and FnV.
fn reencode_abort(abort: &Abort) -> Encoded {
    Encoded {
        iss: u32::from(abort.fault.code())
            | (u32::from(abort.s1ptw) << 7)
            | (u32::from(!abort.far_valid) << 10),
        mask: 0x3F | (1 << 7) | (1 << 10),
    }
}

/// A data abort: the common fields, WnR, CM, and the ISV group.
fn reencode_data_abort(a: &DataAbort) -> Encoded {
    let common = reencode_abort(&Abort {
        lower_el: a.lower_el,
        fault: a.fault,
        s1ptw: a.s1ptw,
        far_valid: a.far_valid,
    });
    let mut iss = common.iss | (u32::from(a.write) << 6) | (u32::from(a.cache_maintenance) << 8);
    let mut mask = common.mask | (1 << 6) | (1 << 8) | (1 << 24);
    if a.syndrome_valid {
        let sas = a.access_size.map_or(0, |size| size.trailing_zeros());
        iss |= (1 << 24)
            | (sas << 22)
            | (u32::from(a.sign_extend.unwrap_or(false)) << 21)
            | (u32::from(a.register.unwrap_or(0)) << 16)
            | (u32::from(a.sixty_four.unwrap_or(false)) << 15)
            | (u32::from(a.acquire_release.unwrap_or(false)) << 14);
        mask |= 0x00FF_C000;
    }
    Encoded { iss, mask }
}

/// Whether the Option fields are present exactly when ISV is set.
fn options_match_isv(a: &DataAbort) -> bool {
    let v = a.syndrome_valid;
    a.access_size.is_some() == v
        && a.sign_extend.is_some() == v
        && a.register.is_some() == v
        && a.sixty_four.is_some() == v
        && a.acquire_release.is_some() == v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn decode_is_total_and_reencodes(esr in any::<u64>()) {
        let decoded = decode(esr);
        let syndrome = Syndrome::from_esr(esr);
        let encoded = reencode(&decoded);
        prop_assert_eq!(encoded.iss, syndrome.iss & encoded.mask, "{:?}", decoded);
        if let Decoded::DataAbort(abort) = decoded {
            prop_assert!(options_match_isv(&abort));
            if let Some(size) = abort.access_size {
                prop_assert!(matches!(size, 1 | 2 | 4 | 8));
            }
        }
    }

    #[test]
    fn every_class_decodes_with_random_iss(ec in 0u8..64, il: bool, iss in 0u32..(1 << 25)) {
        let esr = (u64::from(ec) << 26) | (u64::from(il) << 25) | u64::from(iss);
        let decoded = decode(esr);
        let encoded = reencode(&decoded);
        prop_assert_eq!(encoded.iss, iss & encoded.mask);
        prop_assert_eq!(Syndrome::from_esr(esr).to_esr(), esr);
    }

    #[test]
    fn syndrome_keeps_the_low_word(esr in any::<u64>()) {
        let syndrome = Syndrome::from_esr(esr);
        prop_assert_eq!(syndrome.to_esr(), esr & 0xFFFF_FFFF);
        prop_assert_eq!(syndrome.ec.code(), ExceptionClass::from_esr(esr).code());
    }

    #[test]
    fn codes_round_trip(code in any::<u8>()) {
        prop_assert_eq!(ExceptionClass::from_code(code).code(), code & 0x3F);
        prop_assert_eq!(FaultStatus::from_code(code).code(), code & 0x3F);
    }
}
