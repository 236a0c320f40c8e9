use super::*;
use crate::cap::FrameSize;
use crate::derive::{copy, mint};
use std::collections::BTreeMap;
use std::vec::Vec;
use tessera_abi::Rights;

#[derive(Default)]
struct Store(BTreeMap<SlotAddr, Slot>);

impl SlotStore for Store {
    fn read(&self, at: SlotAddr) -> Slot {
        self.0.get(&at).copied().unwrap_or(Slot::EMPTY)
    }
    fn write(&mut self, at: SlotAddr, slot: Slot) {
        self.0.insert(at, slot);
    }
}

impl Store {
    fn cap(&self, at: SlotAddr) -> Cap {
        self.read(at).cap
    }

    /// The list from its head, checking the back links on the way.
    fn list(&self) -> Vec<SlotAddr> {
        let heads: Vec<_> = self
            .0
            .iter()
            .filter(|(_, s)| !s.is_empty() && s.mdb.prev == 0)
            .collect();
        let mut out = Vec::new();
        for (&head, _) in heads {
            let mut at = head;
            let mut prev = 0;
            while at != 0 {
                let s = self.read(at);
                assert_eq!(s.mdb.prev, prev, "back link of {at:#x}");
                assert!(!s.is_empty());
                out.push(at);
                assert!(out.len() <= self.0.len(), "cycle");
                prev = at;
                at = s.mdb.next;
            }
        }
        out
    }

    fn revoke(&mut self, at: SlotAddr) -> Vec<SlotAddr> {
        let mut gone = Vec::new();
        while let Some(d) = first_descendant(self, at) {
            remove(self, d).unwrap();
            gone.push(d);
        }
        gone
    }
}

const U: SlotAddr = 0x100;

fn ut() -> Cap {
    Cap::Untyped {
        paddr: 0x10_0000,
        size_bits: 16,
        free_index: 0,
        zeroed_to: 0,
        is_device: false,
    }
}

fn ep(badge: u64) -> Cap {
    Cap::Endpoint {
        paddr: 0x10_0000,
        badge,
        rights: Rights::ALL,
    }
}

fn store_with_untyped() -> Store {
    let mut s = Store::default();
    insert_root(&mut s, U, ut()).unwrap();
    s
}

#[test]
fn root_insert() {
    let mut s = Store::default();
    assert_eq!(insert_root(&mut s, 0, ut()), Err(MdbError::NoSlot));
    assert_eq!(insert_root(&mut s, U, Cap::Null), Err(MdbError::NullCap));
    insert_root(&mut s, U, ut()).unwrap();
    assert_eq!(
        s.read(U).mdb,
        MdbNode {
            prev: 0,
            next: 0,
            revocable: true,
            first_badged: true
        }
    );
    assert_eq!(
        insert_root(&mut s, U, ut()),
        Err(MdbError::DestinationOccupied)
    );
    assert!(!has_children(&s, U));
    assert!(is_final(&s, U));
}

#[test]
fn copies_go_after_their_source() {
    let mut s = store_with_untyped();
    insert_new_object(&mut s, U, 0x200, ep(0)).unwrap();
    insert(&mut s, 0x200, 0x300, copy(&ep(0), Rights::READ).unwrap()).unwrap();
    insert(&mut s, 0x200, 0x400, mint(&ep(0), Rights::ALL, 5).unwrap()).unwrap();
    assert_eq!(s.list(), [U, 0x200, 0x400, 0x300]);
    assert!(!s.read(0x300).mdb.revocable);
    assert!(s.read(0x400).mdb.revocable && s.read(0x400).mdb.first_badged);
    assert_eq!(first_descendant(&s, U), Some(0x200));
    assert_eq!(first_descendant(&s, 0x200), Some(0x400));
    assert_eq!(first_descendant(&s, 0x400), None);
    assert_eq!(first_descendant(&s, 0x300), None);
    // A copy of the plain copy is its sibling, placed after it.
    insert(&mut s, 0x300, 0x500, ep(0)).unwrap();
    assert_eq!(s.list(), [U, 0x200, 0x400, 0x300, 0x500]);
    assert_eq!(s.revoke(0x200), [0x400, 0x300, 0x500]);
    assert_eq!(s.list(), [U, 0x200]);
}

#[test]
fn insert_checks_before_writing() {
    let mut s = store_with_untyped();
    insert_new_object(&mut s, U, 0x200, ep(0)).unwrap();
    let before: Vec<_> = s.0.clone().into_iter().collect();
    assert_eq!(insert(&mut s, 0x200, 0x200, ep(0)), Err(MdbError::SameSlot));
    assert_eq!(
        insert(&mut s, 0x999, 0x300, ep(0)),
        Err(MdbError::SourceEmpty)
    );
    assert_eq!(
        insert(&mut s, 0x200, U, ep(0)),
        Err(MdbError::DestinationOccupied)
    );
    assert_eq!(
        insert(&mut s, 0x200, 0x300, Cap::Null),
        Err(MdbError::NullCap)
    );
    assert_eq!(insert(&mut s, 0, 0x300, ep(0)), Err(MdbError::NoSlot));
    // The untyped has a child: a copy of it is refused.
    assert_eq!(
        insert(&mut s, U, 0x300, ut()),
        Err(MdbError::UntypedHasChildren)
    );
    // Something that is not a child of a source with children.
    assert_eq!(
        insert(&mut s, U, 0x300, Cap::IrqHandler { irq: 1 }),
        Err(MdbError::NotDerived)
    );
    assert_eq!(s.0.clone().into_iter().collect::<Vec<_>>(), before);
    assert_eq!(MdbError::UntypedHasChildren.error(), Error::RevokeFirst);
    assert_eq!(MdbError::DestinationOccupied.error(), Error::DeleteFirst);
    assert_eq!(MdbError::SourceEmpty.error(), Error::FailedLookup);
    assert_eq!(MdbError::NotDerived.error(), Error::IllegalOperation);
}

#[test]
fn untyped_copy_is_a_child_and_fills_the_source() {
    let mut s = store_with_untyped();
    let with_watermark = Cap::Untyped {
        paddr: 0x10_0000,
        size_bits: 16,
        free_index: 0x40,
        zeroed_to: 0,
        is_device: false,
    };
    update_cap(&mut s, U, with_watermark).unwrap();
    insert(&mut s, U, 0x200, with_watermark).unwrap();
    assert_eq!(
        s.cap(U),
        Cap::Untyped {
            paddr: 0x10_0000,
            size_bits: 16,
            free_index: 0x1_0000,
            zeroed_to: 0,
            is_device: false
        }
    );
    assert_eq!(s.cap(0x200), with_watermark);
    assert_eq!(first_descendant(&s, U), Some(0x200));
    assert!(!is_final(&s, 0x200));
    insert_new_object(&mut s, 0x200, 0x300, ep(0)).unwrap();
    assert_eq!(s.list(), [U, 0x200, 0x300]);
    assert_eq!(s.revoke(U), [0x200, 0x300]);
}

#[test]
fn new_objects_must_be_covered() {
    let mut s = store_with_untyped();
    let outside = Cap::Tcb { paddr: 0x20_0000 };
    assert_eq!(
        insert_new_object(&mut s, U, 0x200, outside),
        Err(MdbError::NotCovered)
    );
    insert_new_object(&mut s, U, 0x200, ep(0)).unwrap();
    assert_eq!(
        insert_new_object(&mut s, 0x200, 0x300, ep(0)),
        Err(MdbError::NotCovered)
    );
    let irq = Cap::IrqHandler { irq: 1 };
    assert_eq!(
        insert_new_object(&mut s, U, 0x300, irq),
        Err(MdbError::NotCovered)
    );
}

#[test]
fn irq_handlers_are_children_of_irq_control() {
    let mut s = Store::default();
    insert_root(&mut s, 0x10, Cap::IrqControl).unwrap();
    insert(&mut s, 0x10, 0x20, Cap::IrqHandler { irq: 4 }).unwrap();
    insert(&mut s, 0x20, 0x30, Cap::IrqHandler { irq: 4 }).unwrap();
    assert!(s.read(0x20).mdb.revocable);
    assert!(!s.read(0x30).mdb.revocable);
    assert_eq!(first_descendant(&s, 0x20), Some(0x30));
    assert_eq!(s.revoke(0x10), [0x20, 0x30]);
}

#[test]
fn move_takes_the_place_in_the_list() {
    let mut s = store_with_untyped();
    insert_new_object(&mut s, U, 0x200, ep(0)).unwrap();
    insert(&mut s, 0x200, 0x300, ep(0)).unwrap();
    move_cap(&mut s, 0x200, 0x250, ep(0)).unwrap();
    assert!(s.read(0x200).is_empty());
    assert_eq!(s.read(0x200), Slot::EMPTY);
    assert_eq!(s.list(), [U, 0x250, 0x300]);
    assert_eq!(first_descendant(&s, 0x250), Some(0x300));
    assert_eq!(
        move_cap(&mut s, 0x250, 0x300, ep(0)),
        Err(MdbError::DestinationOccupied)
    );
    assert_eq!(
        move_cap(&mut s, 0x250, 0x260, ep(3)),
        Err(MdbError::NotSameObject)
    );
    assert_eq!(
        move_cap(&mut s, 0x250, 0x260, ut()),
        Err(MdbError::NotSameObject)
    );
    assert_eq!(
        move_cap(&mut s, 0x250, 0x250, ep(0)),
        Err(MdbError::SameSlot)
    );
    // The tail moves too.
    move_cap(&mut s, 0x300, 0x50, ep(0)).unwrap();
    assert_eq!(s.list(), [U, 0x250, 0x50]);
}

#[test]
fn update_keeps_the_node() {
    let mut s = store_with_untyped();
    let node = s.read(U).mdb;
    let full = Cap::Untyped {
        paddr: 0x10_0000,
        size_bits: 16,
        free_index: 0x1_0000,
        zeroed_to: 0,
        is_device: false,
    };
    update_cap(&mut s, U, full).unwrap();
    assert_eq!(
        s.read(U),
        Slot {
            cap: full,
            mdb: node
        }
    );
    assert_eq!(update_cap(&mut s, U, ep(0)), Err(MdbError::NotSameObject));
    assert_eq!(update_cap(&mut s, 0x999, ep(0)), Err(MdbError::SourceEmpty));
}

/// Four capabilities to distinct objects in a chain U → a → b → c.
fn chain() -> (Store, [SlotAddr; 3]) {
    let mut s = store_with_untyped();
    for (i, at) in [0x300, 0x200, 0x100 + 0x300].into_iter().enumerate() {
        let cap = Cap::Tcb {
            paddr: 0x10_0000 + 0x800 * i as u64,
        };
        insert_new_object(&mut s, U, at, cap).unwrap();
    }
    let l = s.list();
    (s, [l[1], l[2], l[3]])
}

#[test]
fn swap_neighbours_and_distant_slots() {
    for (x, y) in [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2)] {
        let (mut s, slots) = chain();
        let before: Vec<Cap> = s.list().iter().map(|&a| s.cap(a)).collect();
        let (a, b) = (slots[x], slots[y]);
        let (ca, cb) = (s.cap(a), s.cap(b));
        swap(&mut s, a, b).unwrap();
        assert_eq!((s.cap(a), s.cap(b)), (cb, ca));
        let after: Vec<Cap> = s.list().iter().map(|&a| s.cap(a)).collect();
        assert_eq!(before, after, "swap {x} {y}: the caps' order is kept");
    }
    // With the untyped at the head of the list.
    let (mut s, slots) = chain();
    swap(&mut s, U, slots[0]).unwrap();
    assert_eq!(s.list()[0], slots[0]);
    assert_eq!(first_descendant(&s, slots[0]), Some(U));
}

#[test]
fn swap_checks() {
    let (mut s, slots) = chain();
    assert_eq!(swap(&mut s, slots[0], slots[0]), Err(MdbError::SameSlot));
    assert_eq!(swap(&mut s, slots[0], 0x999), Err(MdbError::SourceEmpty));
    let other = s.cap(slots[1]);
    assert_eq!(
        swap_mutated(&mut s, slots[0], ep(1), slots[1], other),
        Err(MdbError::NotSameObject)
    );
    let mut t = Store::default();
    insert_root(&mut t, 0x10, ep(0)).unwrap();
    insert_root(
        &mut t,
        0x20,
        Cap::Endpoint {
            paddr: 0x20,
            badge: 0,
            rights: Rights::ALL,
        },
    )
    .unwrap();
    let weaker = Cap::Endpoint {
        paddr: 0x10_0000,
        badge: 0,
        rights: Rights::READ,
    };
    let other = t.cap(0x20);
    swap_mutated(&mut t, 0x10, weaker, 0x20, other).unwrap();
    assert_eq!(t.cap(0x20), weaker);
}

#[test]
fn remove_reports_finality() {
    let mut s = store_with_untyped();
    insert_new_object(&mut s, U, 0x200, ep(0)).unwrap();
    insert(&mut s, 0x200, 0x300, ep(0)).unwrap();
    let frame = Cap::Frame {
        paddr: 0x10_1000,
        size: FrameSize::Small,
        rights: Rights::ALL,
        is_device: false,
        mapping: None,
    };
    insert_new_object(&mut s, U, 0x400, frame).unwrap();
    assert_eq!(s.list(), [U, 0x400, 0x200, 0x300]);
    assert!(is_final(&s, 0x400));
    assert!(!is_final(&s, 0x200));
    assert!(!is_final(&s, 0x999));
    assert_eq!(
        remove(&mut s, 0x200),
        Ok(Removed {
            cap: ep(0),
            is_final: false
        })
    );
    assert_eq!(
        remove(&mut s, 0x300),
        Ok(Removed {
            cap: ep(0),
            is_final: true
        })
    );
    assert_eq!(remove(&mut s, 0x300), Err(MdbError::SourceEmpty));
    assert_eq!(s.list(), [U, 0x400]);
    assert_eq!(
        remove(&mut s, U),
        Ok(Removed {
            cap: ut(),
            is_final: true
        })
    );
    assert_eq!(s.list(), [0x400]);
    assert_eq!(s.read(0x400).mdb.prev, 0);
}

#[test]
fn removed_badge_holders_children_do_not_join_a_new_mint() {
    let mut s = Store::default();
    insert_root(&mut s, 0x10, ep(0)).unwrap();
    insert(&mut s, 0x10, 0x20, mint(&ep(0), Rights::ALL, 5).unwrap()).unwrap();
    insert(&mut s, 0x20, 0x30, ep(5)).unwrap();
    remove(&mut s, 0x20).unwrap();
    assert!(s.read(0x30).mdb.first_badged);
    insert(&mut s, 0x10, 0x40, mint(&ep(0), Rights::ALL, 5).unwrap()).unwrap();
    assert_eq!(s.list(), [0x10, 0x40, 0x30]);
    assert_eq!(first_descendant(&s, 0x40), None);
    assert_eq!(s.revoke(0x10), [0x40, 0x30]);
}

#[test]
fn exchange_moves_swaps_or_does_nothing() {
    let (mut s, [a, b, c]) = chain();
    let before: Vec<Cap> = s.list().iter().map(|&x| s.cap(x)).collect();
    // Two full slots: a swap.
    exchange(&mut s, a, c).unwrap();
    assert_eq!(s.list(), [U, c, b, a]);
    // A full and an empty slot, both ways round: a move.
    exchange(&mut s, b, 0x900).unwrap();
    assert_eq!(s.list(), [U, c, 0x900, a]);
    exchange(&mut s, 0x700, 0x900).unwrap();
    assert_eq!(s.list(), [U, c, 0x700, a]);
    assert!(s.read(0x900).is_empty());
    // Two empty slots: nothing.
    exchange(&mut s, 0x900, 0xa00).unwrap();
    let after: Vec<Cap> = s.list().iter().map(|&x| s.cap(x)).collect();
    assert_eq!(
        before, after,
        "the list holds the same caps in the same order"
    );
    assert_eq!(exchange(&mut s, a, a), Err(MdbError::SameSlot));
    assert_eq!(exchange(&mut s, 0, a), Err(MdbError::NoSlot));
    // Every kind of capability can be exchanged, zombies included.
    let z = Cap::Zombie {
        paddr: 0x10_0000,
        kind: crate::ZombieKind::Tcb,
        pending: 2,
    };
    for cap in [z, Cap::IrqControl, Cap::AsidControl, ut(), ep(3)] {
        let mut s = Store::default();
        insert_root(&mut s, 0x10, cap).unwrap();
        exchange(&mut s, 0x10, 0x20).unwrap();
        assert_eq!(s.cap(0x20), cap);
        assert!(s.read(0x10).is_empty());
    }
}
