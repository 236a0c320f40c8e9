//! Trapped wait instructions (EC 0x01).

use crate::field::{bit, bits_u8};

/// TI, bits `[1:0]`: which wait instruction trapped.
const TI: u32 = 0;
/// RV, bit 2: `RN` holds the timeout register (WFIT/WFET only).
const RV: u32 = 2;
/// RN, bits `[9:5]`: the register holding the WFIT/WFET timeout.
const RN: u32 = 5;

/// Which wait instruction trapped. A VMM blocks the vCPU on WFI until an
/// interrupt is pending, and may simply yield on WFE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WfxKind {
    /// WFI: wait for interrupt.
    Wfi,
    /// WFE: wait for event.
    Wfe,
    /// WFIT: WFI with a timeout (FEAT_WFxT).
    Wfit,
    /// WFET: WFE with a timeout (FEAT_WFxT).
    Wfet,
}

/// A decoded WFI/WFE trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Wfx {
    /// The trapped instruction.
    pub kind: WfxKind,
    /// For WFIT/WFET, the register holding the timeout, when reported (RV).
    pub timeout_register: Option<u8>,
}

impl Wfx {
    /// Decodes the ISS of a WFx trap.
    pub const fn from_iss(iss: u32) -> Self {
        let iss = iss as u64;
        let kind = match bits_u8(iss, TI, 2) {
            0 => WfxKind::Wfi,
            1 => WfxKind::Wfe,
            2 => WfxKind::Wfit,
            _ => WfxKind::Wfet,
        };
        let timeout_register = if bit(iss, RV) {
            Some(bits_u8(iss, RN, 5))
        } else {
            None
        };
        Self {
            kind,
            timeout_register,
        }
    }

    /// True for WFE and WFET, which wait for an event, not an interrupt.
    pub const fn is_wfe(&self) -> bool {
        matches!(self.kind, WfxKind::Wfe | WfxKind::Wfet)
    }
}
