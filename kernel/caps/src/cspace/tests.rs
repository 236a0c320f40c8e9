use super::*;
use crate::slot::{MdbNode, Slot};
use std::collections::BTreeMap;

struct Store(BTreeMap<SlotAddr, Cap>);

impl SlotStore for Store {
    fn read(&self, at: SlotAddr) -> Slot {
        Slot {
            cap: self.0.get(&at).copied().unwrap_or(Cap::Null),
            mdb: MdbNode::default(),
        }
    }
    fn write(&mut self, at: SlotAddr, slot: Slot) {
        self.0.insert(at, slot.cap);
    }
}

fn slot_of(cnode: u64, index: u64) -> SlotAddr {
    cnode + index * 64
}

const ROOT_PADDR: u64 = 0x1_0000;
const L2_PADDR: u64 = 0x2_0000;

fn root() -> Cap {
    Cap::CNode {
        paddr: ROOT_PADDR,
        radix_bits: 4,
        guard_bits: 4,
        guard: 0b1010,
    }
}

/// Root (guard 1010, 16 slots): slot 3 holds a CNode of 256 slots behind a
/// 48-bit zero guard (4 + 4 + 48 + 8 = 64 bits), slot 5 a TCB.
fn space() -> Store {
    let l2 = Cap::CNode {
        paddr: L2_PADDR,
        radix_bits: 8,
        guard_bits: 48,
        guard: 0,
    };
    let mut m = BTreeMap::new();
    m.insert(slot_of(ROOT_PADDR, 3), l2);
    m.insert(slot_of(ROOT_PADDR, 5), Cap::Tcb { paddr: 0 });
    m.insert(slot_of(L2_PADDR, 0x42), Cap::IrqControl);
    Store(m)
}

fn look(cptr: u64, depth: u64, mode: LookupMode) -> Result<Resolved, LookupError> {
    resolve(
        &root(),
        cptr,
        Depth::new(depth).unwrap(),
        mode,
        &space(),
        slot_of,
    )
}

fn err(kind: LookupFailure, bits_left: u8, details: [u64; 2]) -> Result<Resolved, LookupError> {
    Err(LookupError {
        kind,
        bits_left,
        details,
    })
}

#[test]
fn one_level_exact() {
    let r = look(0b1010_0101, 8, LookupMode::Slot);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(ROOT_PADDR, 5),
            bits_left: 0
        })
    );
    // Only the low `depth` bits count.
    let r = look(0xffff_0000_0000_0000 | 0b1010_0101, 8, LookupMode::Slot);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(ROOT_PADDR, 5),
            bits_left: 0
        })
    );
}

#[test]
fn guard_mismatch() {
    assert_eq!(
        look(0b1011_0101, 8, LookupMode::Slot),
        err(LookupFailure::GuardMismatch, 8, [0b1011, 4])
    );
    // Fewer bits than the guard.
    assert_eq!(
        look(0b10, 2, LookupMode::Slot),
        err(LookupFailure::GuardMismatch, 2, [0b10, 4])
    );
    // A deeper guard: the level-2 guard is 48 zero bits.
    let cptr = (0xa3 << 56) | (1 << 20);
    assert_eq!(
        look(cptr, 64, LookupMode::Capability),
        err(LookupFailure::GuardMismatch, 56, [1 << 12, 48])
    );
}

#[test]
fn depth_mismatch_when_too_few_bits() {
    assert_eq!(
        look(0b1010, 4, LookupMode::Slot),
        err(LookupFailure::DepthMismatch, 4, [8, 0])
    );
    assert_eq!(
        look(0b101_0001, 7, LookupMode::Capability),
        err(LookupFailure::DepthMismatch, 7, [8, 0])
    );
}

#[test]
fn modes_differ_at_a_leaf_with_bits_left() {
    let cptr = 0xa5 << 56;
    let r = look(cptr, 64, LookupMode::Capability);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(ROOT_PADDR, 5),
            bits_left: 56
        })
    );
    assert_eq!(
        look(cptr, 64, LookupMode::Slot),
        err(LookupFailure::DepthMismatch, 56, [0, 0])
    );
    // An empty slot is a leaf too.
    let r = look(0xa7 << 8, 16, LookupMode::Capability);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(ROOT_PADDR, 7),
            bits_left: 8
        })
    );
}

#[test]
fn two_levels() {
    let cptr = (0xa3 << 56) | 0x42;
    let r = look(cptr, 64, LookupMode::Capability);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(L2_PADDR, 0x42),
            bits_left: 0
        })
    );
    assert_eq!(look(cptr, 64, LookupMode::Slot), r);
    // Stopping at the CNode itself is fine in both modes.
    let r = look(0xa3, 8, LookupMode::Slot);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(ROOT_PADDR, 3),
            bits_left: 0
        })
    );
    // Into the second level with fewer bits than its guard: the guard is
    // checked first.
    assert_eq!(
        look(0xa3 << 8, 16, LookupMode::Slot),
        err(LookupFailure::GuardMismatch, 8, [0, 48])
    );
    // Past the guard, but fewer bits than the radix.
    assert_eq!(
        look(0xa3 << 52, 60, LookupMode::Slot),
        err(LookupFailure::DepthMismatch, 52, [56, 0])
    );
}

#[test]
fn invalid_roots() {
    let d = Depth::WORD;
    let s = space();
    for bad in [
        Cap::Null,
        Cap::Tcb { paddr: 0 },
        Cap::CNode {
            paddr: 0,
            radix_bits: 0,
            guard_bits: 0,
            guard: 0,
        },
        Cap::CNode {
            paddr: 0,
            radix_bits: 0,
            guard_bits: 3,
            guard: 0,
        },
        Cap::CNode {
            paddr: 0,
            radix_bits: 4,
            guard_bits: 61,
            guard: 0,
        },
    ] {
        let r = resolve(&bad, 0, d, LookupMode::Capability, &s, slot_of);
        assert_eq!(r, err(LookupFailure::InvalidRoot, 64, [0, 0]), "{bad:?}");
    }
}

#[test]
fn a_cnode_holding_itself_ends_after_64_levels() {
    let one = Cap::CNode {
        paddr: 0x4000,
        radix_bits: 1,
        guard_bits: 0,
        guard: 0,
    };
    let mut m = BTreeMap::new();
    m.insert(slot_of(0x4000, 0), one);
    m.insert(slot_of(0x4000, 1), one);
    let s = Store(m);
    let r = resolve(&one, 0x1234, Depth::WORD, LookupMode::Slot, &s, slot_of);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(0x4000, 0),
            bits_left: 0
        })
    );
    let r = resolve(&one, u64::MAX, Depth::WORD, LookupMode::Slot, &s, slot_of);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(0x4000, 1),
            bits_left: 0
        })
    );
}

#[test]
fn full_width_radix_and_guard() {
    let wide = Cap::CNode {
        paddr: 0,
        radix_bits: 1,
        guard_bits: 63,
        guard: u64::MAX >> 1,
    };
    let s = Store(BTreeMap::new());
    let r = resolve(&wide, u64::MAX, Depth::WORD, LookupMode::Slot, &s, slot_of);
    assert_eq!(
        r,
        Ok(Resolved {
            slot: slot_of(0, 1),
            bits_left: 0
        })
    );
    let r = resolve(
        &wide,
        u64::MAX - 2,
        Depth::WORD,
        LookupMode::Slot,
        &s,
        slot_of,
    );
    assert_eq!(
        r,
        err(LookupFailure::GuardMismatch, 64, [(u64::MAX - 2) >> 1, 63])
    );
}

#[test]
fn depths() {
    assert_eq!(Depth::new(0), None);
    assert_eq!(Depth::new(65), None);
    assert_eq!(Depth::new(64), Some(Depth::WORD));
    assert_eq!(Depth::new(1).map(Depth::bits), Some(1));
    assert_eq!(Depth::parse(0), Err(SyscallError::range(1, 64)));
    assert_eq!(Depth::parse(u64::MAX), Err(SyscallError::range(1, 64)));
}

#[test]
fn capability_lookup_needs_a_capability() {
    let s = space();
    let got = lookup_cap(&root(), 0xa5 << 56, &s, slot_of);
    assert_eq!(got, Ok((slot_of(ROOT_PADDR, 5), Cap::Tcb { paddr: 0 })));
    let got = lookup_cap(&root(), 0xa7 << 56, &s, slot_of);
    assert_eq!(
        got,
        Err(LookupError {
            kind: LookupFailure::MissingCapability,
            bits_left: 56,
            details: [0, 0]
        })
    );
    let got = lookup_cap(&Cap::Null, 0, &s, slot_of);
    assert_eq!(
        got.map(|_| ()),
        Err(LookupError {
            kind: LookupFailure::InvalidRoot,
            bits_left: 64,
            details: [0, 0]
        })
    );
}
