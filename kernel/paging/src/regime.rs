//! Translation regimes: how a regime's attributes become leaf bits.
//!
//! The descriptor layer and the [`crate::Mapper`] walker are the same for
//! every regime with a 4 KiB granule; only the leaf attributes differ.
//! Stage 2 (guest IPA spaces, [`crate::Stage2`]) has its own attribute
//! type (MemAttr, S2AP, XN) and uses [`crate::VaRange::Lower`] only.

use core::fmt;

use crate::attributes::{AttributeError, Attributes};

/// A translation regime.
pub trait Regime {
    /// What a leaf of this regime grants.
    type Attributes: Copy + Eq + fmt::Debug;

    /// The leaf attribute bits for `attributes`; they must lie within
    /// [`crate::LEAF_ATTRIBUTE_MASK`].
    fn encode(attributes: &Self::Attributes) -> Result<u64, AttributeError>;

    /// The attributes of a leaf with descriptor bits `bits`, or `None` if
    /// they are not ones this regime can express.
    fn decode(bits: u64) -> Option<Self::Attributes>;
}

/// Stage 1 of the EL2&0 regime (HCR_EL2.E2H = 1, TGE = 1), translated
/// through TTBR0_EL2 (lower half) and TTBR1_EL2 (upper half).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct El20;

impl Regime for El20 {
    type Attributes = Attributes;

    fn encode(attributes: &Attributes) -> Result<u64, AttributeError> {
        attributes.to_bits()
    }

    fn decode(bits: u64) -> Option<Attributes> {
        Attributes::from_bits(bits)
    }
}
