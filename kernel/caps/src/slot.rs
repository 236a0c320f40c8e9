//! A CNode slot: a capability and its node in the derivation tree, the
//! 64-byte encoding of both, and the trait through which the kernel lends
//! its slots to this crate.

use crate::cap::{Cap, DecodeError};

/// Where a slot is; the kernel uses the slot's address. Never 0 for a real
/// slot: 0 is [`NO_SLOT`], the end of a list.
pub type SlotAddr = u64;

/// "No slot" in [`MdbNode::prev`] and [`MdbNode::next`].
pub const NO_SLOT: SlotAddr = 0;

/// A slot's place in the derivation tree (seL4's mapping database).
///
/// Every non-empty slot is in one doubly linked list, ordered so that the
/// descendants of each capability follow it directly; which of the
/// following slots are its descendants is decided by
/// [`crate::is_mdb_parent_of`] from the two flags. Empty slots have the
/// all-zero node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MdbNode {
    /// The slot before this one, or [`NO_SLOT`].
    pub prev: SlotAddr,
    /// The slot after this one, or [`NO_SLOT`].
    pub next: SlotAddr,
    /// The capability can have children (an original: made by Retype, at
    /// boot, or a copy that [`crate::is_revocable`] says is one).
    pub revocable: bool,
    /// A badged endpoint or notification capability that was badged here:
    /// it is not a child of an earlier capability with the same badge.
    pub first_badged: bool,
}

/// What a CNode slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The capability.
    pub cap: Cap,
    /// Its place in the derivation tree.
    pub mdb: MdbNode,
}

/// Flag bits of word 6 of an encoded slot.
const REVOCABLE: u64 = 1 << 0;
const FIRST_BADGED: u64 = 1 << 1;

impl Slot {
    /// An empty slot: what zeroed memory decodes to.
    pub const EMPTY: Slot = Slot {
        cap: Cap::Null,
        mdb: MdbNode {
            prev: NO_SLOT,
            next: NO_SLOT,
            revocable: false,
            first_badged: false,
        },
    };

    /// Whether the slot holds no capability.
    pub const fn is_empty(&self) -> bool {
        self.cap.is_null()
    }

    /// The eight words of a 64-byte slot: the capability (words 0–3), then
    /// `prev`, `next`, the flags (bit 0 revocable, bit 1 first badged) and
    /// a reserved zero word.
    pub fn encode(&self) -> [u64; 8] {
        let [c0, c1, c2, c3] = self.cap.encode();
        let mut flags = 0;
        if self.mdb.revocable {
            flags |= REVOCABLE;
        }
        if self.mdb.first_badged {
            flags |= FIRST_BADGED;
        }
        [c0, c1, c2, c3, self.mdb.prev, self.mdb.next, flags, 0]
    }

    /// Decodes a slot the kernel wrote itself (see [`Cap::decode_trusted`]);
    /// an unknown tag reads as an empty slot.
    pub fn decode_trusted(words: &[u64; 8]) -> Slot {
        let [c0, c1, c2, c3, prev, next, flags, _] = *words;
        match Cap::decode_trusted(&[c0, c1, c2, c3]) {
            Ok(cap) if !cap.is_null() => Slot {
                cap,
                mdb: MdbNode {
                    prev,
                    next,
                    revocable: flags & REVOCABLE != 0,
                    first_badged: flags & FIRST_BADGED != 0,
                },
            },
            _ => Slot::EMPTY,
        }
    }

    /// Decodes a slot. Accepts exactly what [`Slot::encode`] produces for a
    /// well-formed capability, with an all-zero node when it is empty.
    pub fn decode(words: &[u64; 8]) -> Result<Slot, DecodeError> {
        let [c0, c1, c2, c3, prev, next, flags, reserved] = *words;
        let cap = Cap::decode(&[c0, c1, c2, c3])?;
        if reserved != 0 || flags & !(REVOCABLE | FIRST_BADGED) != 0 {
            return Err(DecodeError::NonCanonical);
        }
        let mdb = MdbNode {
            prev,
            next,
            revocable: flags & REVOCABLE != 0,
            first_badged: flags & FIRST_BADGED != 0,
        };
        if cap.is_null() && mdb != MdbNode::default() {
            return Err(DecodeError::NonCanonical);
        }
        Ok(Slot { cap, mdb })
    }
}

/// The kernel's slots, as this crate sees them.
///
/// The kernel implements it over its CNode memory (and the slots inside
/// TCBs); tests implement it over a map. Both methods are infallible: the
/// callers of this crate only pass addresses of real slots, and every
/// address in a node's links is one.
pub trait SlotStore {
    /// The slot at `at`.
    fn read(&self, at: SlotAddr) -> Slot;
    /// Replaces the slot at `at`.
    fn write(&mut self, at: SlotAddr, slot: Slot);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_abi::Rights;

    #[test]
    fn slot_round_trip() {
        let s = Slot {
            cap: Cap::Endpoint {
                paddr: 0x40,
                badge: 9,
                rights: Rights::WRITE,
            },
            mdb: MdbNode {
                prev: 0x1000,
                next: 0x2040,
                revocable: true,
                first_badged: true,
            },
        };
        let w = s.encode();
        assert_eq!(&w[4..], &[0x1000, 0x2040, 3, 0]);
        assert_eq!(Slot::decode(&w), Ok(s));
        assert_eq!(Slot::decode(&[0; 8]), Ok(Slot::EMPTY));
    }

    #[test]
    fn slot_decode_rejects() {
        let mut w = [0u64; 8];
        w[4] = 8;
        assert_eq!(Slot::decode(&w), Err(DecodeError::NonCanonical));
        let mut w = Slot {
            cap: Cap::IrqControl,
            mdb: MdbNode::default(),
        }
        .encode();
        w[6] = 4;
        assert_eq!(Slot::decode(&w), Err(DecodeError::NonCanonical));
        w[6] = 0;
        w[7] = 1;
        assert_eq!(Slot::decode(&w), Err(DecodeError::NonCanonical));
        w[7] = 0;
        w[0] = 99;
        assert_eq!(Slot::decode(&w), Err(DecodeError::UnknownTag));
    }
}
