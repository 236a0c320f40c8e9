//! Table-driven decoding of real ESR_EL2 values.
//!
//! Values are either known from hardware and emulator logs (for example
//! 0x96000004, the classic EL2 NULL dereference) or built here from the
//! field layout of the Arm ARM, so each test says which fields it sets.

use tessera_esr::{
    Abort, CNTP_CTL_EL0, DataAbort, Decoded, ExceptionClass, FaultStatus, ICC_SGI1R_EL1, Syndrome,
    SysRegAccess, Wfx, WfxKind, decode, sysreg_encoding,
};

/// Builds an ESR_EL2 value from EC, IL and ISS.
fn esr(ec: u8, il: bool, iss: u32) -> u64 {
    (u64::from(ec) << 26) | (u64::from(il) << 25) | u64::from(iss & 0x01FF_FFFF)
}

/// A data abort ISS with ISV set, from the instruction fields.
fn isv_iss(sas: u32, sse: bool, srt: u32, sf: bool, ar: bool, write: bool, dfsc: u32) -> u32 {
    (1 << 24)
        | (sas << 22)
        | (u32::from(sse) << 21)
        | (srt << 16)
        | (u32::from(sf) << 15)
        | (u32::from(ar) << 14)
        | (u32::from(write) << 6)
        | dfsc
}

/// A data abort with only the always-present fields.
fn plain_abort(lower_el: bool, fault: FaultStatus, write: bool) -> DataAbort {
    DataAbort {
        lower_el,
        fault,
        write,
        syndrome_valid: false,
        access_size: None,
        sign_extend: None,
        register: None,
        sixty_four: None,
        acquire_release: None,
        cache_maintenance: false,
        s1ptw: false,
        far_valid: true,
    }
}

#[test]
fn null_dereference_at_el2() {
    assert_eq!(esr(0x25, true, 0x04), 0x9600_0004);
    let expected = plain_abort(false, FaultStatus::TranslationFault { level: 0 }, false);
    assert_eq!(decode(0x9600_0004), Decoded::DataAbort(expected));
    assert_eq!(
        ExceptionClass::from_esr(0x9600_0004).name(),
        "data abort, same EL"
    );
}

#[test]
fn stage2_mmio_store_with_valid_syndrome() {
    // str x0, [x1] to an unmapped IPA: ISV, 8 bytes, x0, 64-bit, write,
    // translation fault level 3.
    let value = esr(0x24, true, isv_iss(3, false, 0, true, false, true, 0x07));
    assert_eq!(value, 0x93c0_8047);
    let Decoded::DataAbort(abort) = decode(value) else {
        panic!("not a data abort");
    };
    assert!(abort.lower_el && abort.write && abort.syndrome_valid);
    assert_eq!(abort.fault, FaultStatus::TranslationFault { level: 3 });
    assert_eq!(abort.access_size, Some(8));
    assert_eq!(abort.register, Some(0));
    assert_eq!(abort.sixty_four, Some(true));
    assert_eq!(abort.sign_extend, Some(false));
    assert_eq!(abort.acquire_release, Some(false));
}

#[test]
fn valid_syndrome_field_table() {
    // (sas, sse, srt, sf, ar, write) -> expected size
    let cases = [
        (0, true, 5, false, false, false, 1),  // ldrsb w5
        (1, false, 31, false, true, true, 2),  // stlrh wzr
        (2, true, 12, true, false, false, 4),  // ldrsw x12
        (3, false, 30, true, true, false, 8),  // ldar x30
        (2, false, 1, false, false, true, 4),  // str w1
        (0, false, 17, false, false, true, 1), // strb w17
    ];
    for (sas, sse, srt, sf, ar, write, size) in cases {
        let value = esr(0x24, true, isv_iss(sas, sse, srt, sf, ar, write, 0x0F));
        let Decoded::DataAbort(abort) = decode(value) else {
            panic!("not a data abort: {value:#x}");
        };
        assert_eq!(abort.access_size, Some(size));
        assert_eq!(abort.sign_extend, Some(sse));
        assert_eq!(abort.register, Some(u8::try_from(srt).unwrap()));
        assert_eq!(abort.sixty_four, Some(sf));
        assert_eq!(abort.acquire_release, Some(ar));
        assert_eq!(abort.write, write);
        assert_eq!(abort.fault, FaultStatus::PermissionFault { level: 3 });
    }
}

#[test]
fn data_abort_flag_bits() {
    // CM (bit 8), S1PTW (bit 7), FnV (bit 10).
    let value = esr(0x24, true, (1 << 8) | (1 << 7) | (1 << 10) | 0x29);
    let mut expected = plain_abort(true, FaultStatus::Other(0x29), false);
    expected.cache_maintenance = true;
    expected.s1ptw = true;
    expected.far_valid = false;
    assert_eq!(decode(value), Decoded::DataAbort(expected));
}

#[test]
fn instruction_aborts() {
    let cases = [
        (
            0x8200_000F,
            true,
            FaultStatus::PermissionFault { level: 3 },
            false,
            true,
        ),
        (
            0x8600_0006,
            false,
            FaultStatus::TranslationFault { level: 2 },
            false,
            true,
        ),
        (
            0x8200_0095,
            true,
            FaultStatus::SynchronousExternalOnWalk { level: 1 },
            true,
            true,
        ),
        (
            0x8200_0410,
            true,
            FaultStatus::SynchronousExternal,
            false,
            false,
        ),
    ];
    for (value, lower_el, fault, s1ptw, far_valid) in cases {
        let expected = Abort {
            lower_el,
            fault,
            s1ptw,
            far_valid,
        };
        assert_eq!(
            decode(value),
            Decoded::InstructionAbort(expected),
            "{value:#x}"
        );
    }
}

#[test]
fn calls_and_breakpoints() {
    assert_eq!(decode(0x5600_0000), Decoded::Svc { imm: 0 });
    assert_eq!(
        decode(esr(0x15, true, 0xFFFF)),
        Decoded::Svc { imm: 0xFFFF }
    );
    assert_eq!(decode(0x5a00_0000), Decoded::Hvc { imm: 0 });
    assert_eq!(
        decode(esr(0x16, true, 0x4711)),
        Decoded::Hvc { imm: 0x4711 }
    );
    assert_eq!(decode(0x5e00_0000), Decoded::Smc { imm: 0 });
    assert_eq!(decode(0xf200_03e8), Decoded::Brk { comment: 1000 });
    assert_eq!(
        decode(esr(0x3C, true, 0xF000)),
        Decoded::Brk { comment: 0xF000 }
    );
}

#[test]
fn trapped_timer_read() {
    // mrs x1, cntp_ctl_el0
    let iss = (3 << 20) | (1 << 17) | (3 << 14) | (14 << 10) | (1 << 5) | (2 << 1) | 1;
    let value = esr(0x18, true, iss);
    assert_eq!(value, 0x6232_F825);
    let expected = SysRegAccess {
        op0: 3,
        op1: 3,
        crn: 14,
        crm: 2,
        op2: 1,
        register: 1,
        read: true,
    };
    assert_eq!(decode(value), Decoded::SysReg(expected));
    assert_eq!(expected.encoding(), CNTP_CTL_EL0);
}

#[test]
fn trapped_sgi_write() {
    // msr icc_sgi1r_el1, x3
    let Decoded::SysReg(access) = decode(0x623A_3076) else {
        panic!("not a system register trap");
    };
    assert!(!access.read);
    assert_eq!(access.register, 3);
    assert_eq!(access.encoding(), ICC_SGI1R_EL1);
    assert_eq!(access.encoding(), sysreg_encoding(3, 0, 12, 11, 5));
}

#[test]
fn wait_instructions() {
    let cases = [
        (0x0600_0000, WfxKind::Wfi, None),
        (0x0600_0001, WfxKind::Wfe, None),
        (esr(0x01, true, 0b10), WfxKind::Wfit, None),
        (esr(0x01, true, (7 << 5) | 0b111), WfxKind::Wfet, Some(7)),
    ];
    for (value, kind, timeout_register) in cases {
        let expected = Wfx {
            kind,
            timeout_register,
        };
        assert_eq!(decode(value), Decoded::Wfx(expected), "{value:#x}");
    }
    assert!(Wfx::from_iss(1).is_wfe());
    assert!(!Wfx::from_iss(0).is_wfe());
}

#[test]
fn classes_without_payload() {
    assert_eq!(decode(0x0200_0000), Decoded::Unknown);
    assert_eq!(decode(0x0000_0000), Decoded::Unknown);
    assert_eq!(decode(0x8a00_0000), Decoded::PcAlignment);
    assert_eq!(decode(0x9a00_0000), Decoded::SpAlignment);
    let serror = Syndrome {
        ec: ExceptionClass::SError,
        il: true,
        iss: 0,
    };
    assert_eq!(decode(0xbe00_0000), Decoded::Other(serror));
}

/// Every EC value, with the variant `decode` must produce for it.
#[test]
fn every_exception_class() {
    use ExceptionClass as C;
    let named = [
        (0x00, C::Unknown),
        (0x01, C::WfxTrap),
        (0x07, C::FpAccess),
        (0x0E, C::IllegalState),
        (0x15, C::Svc64),
        (0x16, C::Hvc64),
        (0x17, C::Smc64),
        (0x18, C::SysRegTrap),
        (0x20, C::InstructionAbortLower),
        (0x21, C::InstructionAbortSame),
        (0x22, C::PcAlignment),
        (0x24, C::DataAbortLower),
        (0x25, C::DataAbortSame),
        (0x26, C::SpAlignment),
        (0x2C, C::FpException),
        (0x2F, C::SError),
        (0x30, C::BreakpointLower),
        (0x31, C::BreakpointSame),
        (0x32, C::SoftwareStepLower),
        (0x33, C::SoftwareStepSame),
        (0x34, C::WatchpointLower),
        (0x35, C::WatchpointSame),
        (0x3C, C::Brk),
    ];
    for code in 0u8..64 {
        let expected = named
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(C::Other(code), |(_, class)| *class);
        let value = esr(code, true, 0x1234);
        assert_eq!(ExceptionClass::from_esr(value), expected, "EC {code:#x}");
        assert_eq!(expected.code(), code);
        assert!(!expected.name().is_empty());
        assert!(class_matches(decode(value), expected), "EC {code:#x}");
    }
}

/// Whether a decoded value has the variant that belongs to `class`.
fn class_matches(decoded: Decoded, class: ExceptionClass) -> bool {
    use ExceptionClass as C;
    match decoded {
        Decoded::DataAbort(a) => {
            class
                == if a.lower_el {
                    C::DataAbortLower
                } else {
                    C::DataAbortSame
                }
        }
        Decoded::InstructionAbort(a) => {
            let same = C::InstructionAbortSame;
            class
                == if a.lower_el {
                    C::InstructionAbortLower
                } else {
                    same
                }
        }
        Decoded::Svc { .. } => class == C::Svc64,
        Decoded::Hvc { .. } => class == C::Hvc64,
        Decoded::Smc { .. } => class == C::Smc64,
        Decoded::SysReg(_) => class == C::SysRegTrap,
        Decoded::Wfx(_) => class == C::WfxTrap,
        Decoded::Brk { .. } => class == C::Brk,
        Decoded::PcAlignment => class == C::PcAlignment,
        Decoded::SpAlignment => class == C::SpAlignment,
        Decoded::Unknown => class == C::Unknown,
        Decoded::Other(s) => s.ec == class,
    }
}

/// Every DFSC value, with the fault status it must decode to.
#[test]
fn every_fault_status_code() {
    use FaultStatus as F;
    for dfsc in 0u8..64 {
        let level = dfsc & 3;
        let expected = match dfsc {
            0x00..=0x03 => F::AddressSize { level },
            0x04..=0x07 => F::TranslationFault { level },
            0x08..=0x0B => F::AccessFlag { level },
            0x0C..=0x0F => F::PermissionFault { level },
            0x10 => F::SynchronousExternal,
            0x14..=0x17 => F::SynchronousExternalOnWalk { level },
            0x21 => F::Alignment,
            0x30 => F::TlbConflict,
            other => F::Other(other),
        };
        let value = esr(0x25, true, u32::from(dfsc));
        let Decoded::DataAbort(abort) = decode(value) else {
            panic!("not a data abort");
        };
        assert_eq!(abort.fault, expected, "DFSC {dfsc:#x}");
        assert_eq!(expected.code(), dfsc);
        let Decoded::InstructionAbort(fetch) = decode(esr(0x21, true, u32::from(dfsc))) else {
            panic!("not an instruction abort");
        };
        assert_eq!(fetch.fault, expected, "IFSC {dfsc:#x}");
    }
}

#[test]
fn display_names() {
    assert_eq!(
        ExceptionClass::DataAbortSame.to_string(),
        "data abort, same EL"
    );
    assert_eq!(
        ExceptionClass::Other(0x3A).to_string(),
        "exception class 0x3a"
    );
    assert_eq!(
        FaultStatus::PermissionFault { level: 2 }.to_string(),
        "permission fault, level 2"
    );
    assert_eq!(FaultStatus::Alignment.to_string(), "alignment fault");
    assert_eq!(FaultStatus::Other(0x11).to_string(), "fault status 0x11");
}
