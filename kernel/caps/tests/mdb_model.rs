//! The derivation tree against a reference model.
//!
//! Random sequences of root inserts, Retype, Copy, Mint, IRQ claims, reply
//! capabilities, Move/Mutate, Swap, Delete and Revoke run on an in-memory
//! store and on a parent-pointer tree (the abstract model seL4's
//! specification uses: a copy's parent is its source when the source
//! should be its parent, else the source's parent; a deleted capability's
//! children go to its parent). After every step:
//!
//! - the lists are well linked (prev/next agree, no cycles, every occupied
//!   slot in exactly one list, no links in empty slots);
//! - for every slot, what Revoke would delete (found by running it on a
//!   copy of the store) is exactly its descendants in the model, and
//!   `has_children` agrees;
//! - `is_final` holds exactly when no other capability to the object is
//!   left;
//! - every new object lies in memory no live capability refers to, except
//!   the Untypeds that cover it;
//! - a refused operation changes nothing.

mod common;

use common::MapStore;
use proptest::prelude::*;
use std::collections::BTreeMap;
use tessera_abi::{ObjectType, Rights};
use tessera_caps::mdb::{self, MdbError};
use tessera_caps::{Cap, SlotAddr, SlotStore};

/// Slots 0x40, 0x80, …: a small CSpace so that operations collide.
const SLOTS: u64 = 20;

fn addr(i: u64) -> SlotAddr {
    (i % SLOTS + 1) * 0x40
}

/// Two disjoint boot Untypeds.
const REGIONS: [u64; 2] = [0x100_0000, 0x200_0000];
const REGION_BITS: u8 = 15;

#[derive(Clone, Debug)]
enum Op {
    Root {
        region: usize,
        dest: u64,
    },
    IrqControl {
        dest: u64,
    },
    Retype {
        src: u64,
        kind: u8,
        count: u64,
        dest: u64,
    },
    Copy {
        src: u64,
        dest: u64,
        mask: u64,
    },
    Mint {
        src: u64,
        dest: u64,
        mask: u64,
        data: u64,
    },
    ClaimIrq {
        src: u64,
        dest: u64,
        irq: u16,
    },
    Reply {
        tcb_slot: u64,
        dest: u64,
        master: bool,
    },
    Move {
        src: u64,
        dest: u64,
        data: u64,
    },
    Swap {
        a: u64,
        b: u64,
    },
    Delete {
        at: u64,
    },
    Revoke {
        at: u64,
    },
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::Root { .. } => "root",
            Op::IrqControl { .. } => "irq control",
            Op::Retype { .. } => "retype",
            Op::Copy { .. } => "copy",
            Op::Mint { .. } => "mint",
            Op::ClaimIrq { .. } => "claim irq",
            Op::Reply { .. } => "reply",
            Op::Move { .. } => "move",
            Op::Swap { .. } => "swap",
            Op::Delete { .. } => "delete",
            Op::Revoke { .. } => "revoke",
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0usize..2, any::<u64>()).prop_map(|(region, dest)| Op::Root { region, dest }),
        1 => any::<u64>().prop_map(|dest| Op::IrqControl { dest }),
        6 => (any::<u64>(), 0u8..11, 1u64..3, any::<u64>())
            .prop_map(|(src, kind, count, dest)| Op::Retype { src, kind, count, dest }),
        5 => (any::<u64>(), any::<u64>(), 0u64..16).prop_map(|(src, dest, mask)| Op::Copy { src, dest, mask }),
        5 => (any::<u64>(), any::<u64>(), 0u64..16, 0u64..3)
            .prop_map(|(src, dest, mask, data)| Op::Mint { src, dest, mask, data }),
        1 => (any::<u64>(), any::<u64>(), 0u16..8).prop_map(|(src, dest, irq)| Op::ClaimIrq { src, dest, irq }),
        4 => (any::<u64>(), any::<u64>(), any::<bool>())
            .prop_map(|(tcb_slot, dest, master)| Op::Reply { tcb_slot, dest, master }),
        3 => (any::<u64>(), any::<u64>(), 0u64..4).prop_map(|(src, dest, data)| Op::Move { src, dest, data }),
        3 => (any::<u64>(), any::<u64>()).prop_map(|(a, b)| Op::Swap { a, b }),
        4 => any::<u64>().prop_map(|at| Op::Delete { at }),
        2 => any::<u64>().prop_map(|at| Op::Revoke { at }),
    ]
}

/// The store and the reference tree (parent of each occupied slot).
#[derive(Default)]
struct Model {
    store: MapStore,
    parent: BTreeMap<SlotAddr, Option<SlotAddr>>,
}

/// The bytes `[start, end)` of a capability's object.
fn region(cap: &Cap) -> Option<(u128, u128)> {
    let start = u128::from(cap.paddr()?);
    Some((start, start + (1u128 << cap.object_size_bits()?)))
}

impl Model {
    /// An occupied slot chosen by `i` (any slot when none is occupied).
    fn full(&self, i: u64) -> SlotAddr {
        let occupied = self.store.occupied();
        match occupied.len() as u64 {
            0 => addr(i),
            n => occupied[(i % n) as usize],
        }
    }

    /// Usually an empty slot chosen by `i`; one time in eight any slot, so
    /// that occupied destinations are tried too.
    fn empty(&self, i: u64) -> SlotAddr {
        let empty: Vec<SlotAddr> = (0..SLOTS)
            .map(addr)
            .filter(|&a| self.store.read(a).is_empty())
            .collect();
        match empty.len() as u64 {
            n if n > 0 && !i.is_multiple_of(8) => empty[(i / 8 % n) as usize],
            _ => addr(i),
        }
    }

    fn live(&self) -> Vec<(SlotAddr, Cap)> {
        self.store
            .occupied()
            .into_iter()
            .map(|a| (a, self.store.cap(a)))
            .collect()
    }

    fn descendants(&self, x: SlotAddr) -> Vec<SlotAddr> {
        let mut out: Vec<SlotAddr> = self
            .parent
            .keys()
            .copied()
            .filter(|&y| {
                let mut p = self.parent[&y];
                for _ in 0..=SLOTS {
                    match p {
                        Some(q) if q == x => return true,
                        Some(q) => p = self.parent[&q],
                        None => return false,
                    }
                }
                panic!("cycle in the reference tree");
            })
            .collect();
        out.sort();
        out
    }

    fn others_to_same_object(&self, x: SlotAddr) -> bool {
        let cap = self.store.cap(x);
        self.live()
            .iter()
            .any(|&(a, c)| a != x && tessera_caps::same_object_as(&cap, &c))
    }

    /// Memory of a new object is fresh: no live capability refers to any
    /// of it, except Untypeds that cover all of it.
    fn assert_fresh(&self, new: &Cap) {
        let (s, e) = region(new).unwrap();
        for (at, c) in self.live() {
            let Some((cs, ce)) = region(&c) else { continue };
            let disjoint = ce <= s || e <= cs;
            let covering_untyped = matches!(c, Cap::Untyped { .. }) && cs <= s && e <= ce;
            assert!(
                disjoint || covering_untyped,
                "new {new:?} overlaps {c:?} at {at:#x}"
            );
        }
    }

    // ---- the reference operations ----

    fn ref_insert(&mut self, source: SlotAddr, dest: SlotAddr) {
        let parent =
            if tessera_caps::is_mdb_parent_of(&self.store.read(source), &self.store.read(dest)) {
                Some(source)
            } else {
                self.parent[&source]
            };
        self.parent.insert(dest, parent);
    }

    fn ref_remove(&mut self, x: SlotAddr) {
        let p = self.parent.remove(&x).unwrap();
        for v in self.parent.values_mut() {
            if *v == Some(x) {
                *v = p;
            }
        }
    }

    fn ref_rename(&mut self, from: SlotAddr, to: SlotAddr) {
        let p = self.parent.remove(&from).unwrap();
        self.parent.insert(to, p);
        for v in self.parent.values_mut() {
            if *v == Some(from) {
                *v = Some(to);
            }
        }
    }

    fn ref_swap(&mut self, a: SlotAddr, b: SlotAddr) {
        let swap = |x: SlotAddr| {
            if x == a {
                b
            } else if x == b {
                a
            } else {
                x
            }
        };
        self.parent = self
            .parent
            .iter()
            .map(|(&k, &v)| (swap(k), v.map(swap)))
            .collect();
    }

    // ---- the operations ----

    /// Runs an operation that must leave the store unchanged when it fails.
    fn attempt(&mut self, f: impl FnOnce(&mut MapStore) -> Result<(), MdbError>) -> bool {
        let before = self.store.clone();
        let r = f(&mut self.store);
        if r.is_err() {
            assert_eq!(
                self.store, before,
                "a refused operation changed the store: {r:?}"
            );
        }
        r.is_ok()
    }

    fn root(&mut self, dest: SlotAddr, cap: Cap) {
        // Boot capabilities are made once, to memory nothing else refers to.
        let clean = self.live().iter().all(|(_, c)| {
            !tessera_caps::same_region_as(&cap, c) && !tessera_caps::same_region_as(c, &cap)
        });
        if clean && self.attempt(|s| mdb::insert_root(s, dest, cap)) {
            self.parent.insert(dest, None);
        }
    }

    fn retype(&mut self, src: SlotAddr, kind: u8, count: u64, dest: u64) {
        let ut = self.store.cap(src);
        let (t, size) = match kind {
            0 => (ObjectType::Untyped, 9 + (dest % 4)),
            1 => (ObjectType::CNode, 1 + dest % 3),
            2 | 3 => (ObjectType::Notification, 0),
            4 | 5 => (ObjectType::Tcb, 0),
            6 => (ObjectType::Frame4K, 0),
            7 => (ObjectType::PageTable, 0),
            _ => (ObjectType::Endpoint, 0),
        };
        let has_children = mdb::has_children(&self.store, src);
        let Ok(plan) = tessera_caps::plan_retype(&ut, has_children, t, size, count) else {
            return;
        };
        let dests: Vec<SlotAddr> = (0..SLOTS)
            .map(|i| addr(dest + i))
            .filter(|&a| self.store.read(a).is_empty())
            .take(count as usize)
            .collect();
        if dests.len() < count as usize {
            return;
        }
        assert_eq!(plan.reset, !has_children);
        mdb::update_cap(&mut self.store, src, plan.updated_untyped(&ut)).unwrap();
        for (i, &d) in dests.iter().enumerate() {
            let cap = plan.cap_for(i as u64).unwrap();
            self.assert_fresh(&cap);
            mdb::insert_new_object(&mut self.store, src, d, cap).unwrap();
            self.parent.insert(d, Some(src));
        }
    }

    fn insert_from(
        &mut self,
        src: SlotAddr,
        dest: SlotAddr,
        new: Result<Cap, tessera_caps::SyscallError>,
    ) {
        let Ok(new) = new else { return };
        if self.attempt(|s| mdb::insert(s, src, dest, new)) {
            self.ref_insert(src, dest);
        }
    }

    fn claim_irq(&mut self, src: SlotAddr, dest: SlotAddr, irq: u16) {
        let handler = Cap::IrqHandler { irq };
        let claimed = self.live().iter().any(|(_, c)| *c == handler);
        if matches!(self.store.cap(src), Cap::IrqControl) && !claimed {
            self.insert_from(src, dest, Ok(handler));
        }
    }

    /// A master reply capability for a TCB, or a one-shot one from a master.
    fn reply(&mut self, at: SlotAddr, dest: SlotAddr, master: bool) {
        match self.store.cap(at) {
            Cap::Tcb { paddr } if master => {
                let exists = self
                    .live()
                    .iter()
                    .any(|(_, c)| matches!(c, Cap::Reply { tcb, .. } if *tcb == paddr));
                if !exists
                    && self.attempt(|s| {
                        mdb::insert_root(
                            s,
                            dest,
                            Cap::Reply {
                                tcb: paddr,
                                master: true,
                                can_grant: true,
                            },
                        )
                    })
                {
                    self.parent.insert(dest, None);
                }
            }
            Cap::Reply {
                tcb, master: true, ..
            } if !master => {
                self.insert_from(
                    at,
                    dest,
                    Ok(Cap::Reply {
                        tcb,
                        master: false,
                        can_grant: true,
                    }),
                );
            }
            _ => {}
        }
    }

    fn move_cap(&mut self, src: SlotAddr, dest: SlotAddr, data: u64) {
        let cap = self.store.cap(src);
        let data = if data == 3 {
            cap.badge().unwrap_or(data)
        } else {
            data
        };
        let Ok(new) = tessera_caps::mutate(&cap, data) else {
            return;
        };
        if self.attempt(|s| mdb::move_cap(s, src, dest, new)) {
            self.ref_rename(src, dest);
        }
    }

    fn swap(&mut self, a: SlotAddr, b: SlotAddr) {
        if self.attempt(|s| mdb::swap(s, a, b)) {
            self.ref_swap(a, b);
        }
    }

    fn delete(&mut self, at: SlotAddr) {
        let expected_final = !self.store.read(at).is_empty() && !self.others_to_same_object(at);
        assert_eq!(mdb::is_final(&self.store, at), expected_final);
        let before = self.store.clone();
        match mdb::remove(&mut self.store, at) {
            Ok(r) => {
                assert_eq!(r.is_final, expected_final);
                assert_eq!(r.cap, before.cap(at));
                assert!(self.store.read(at).is_empty());
                self.ref_remove(at);
            }
            Err(e) => {
                assert_eq!(e, MdbError::SourceEmpty);
                assert_eq!(self.store, before);
            }
        }
    }

    fn revoke(&mut self, at: SlotAddr) {
        let mut expected = self.descendants(at);
        let mut gone = Vec::new();
        for _ in 0..=SLOTS {
            let Some(d) = mdb::first_descendant(&self.store, at) else {
                break;
            };
            self.delete(d);
            gone.push(d);
        }
        assert!(
            mdb::first_descendant(&self.store, at).is_none(),
            "revoke did not end"
        );
        gone.sort();
        expected.sort();
        assert_eq!(gone, expected, "revoke of {at:#x}");
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Root { region, dest } => {
                let cap = Cap::Untyped {
                    paddr: REGIONS[region],
                    size_bits: REGION_BITS,
                    free_index: 0,
                    zeroed_to: 0,
                    is_device: false,
                };
                self.root(self.empty(dest), cap);
            }
            Op::IrqControl { dest } => self.root(self.empty(dest), Cap::IrqControl),
            Op::Retype {
                src,
                kind,
                count,
                dest,
            } => self.retype(self.full(src), kind, count, dest),
            Op::Copy { src, dest, mask } => {
                let (src, dest) = (self.full(src), self.empty(dest));
                let new =
                    tessera_caps::copy(&self.store.cap(src), Rights::from_bits_truncate(mask));
                self.insert_from(src, dest, new);
            }
            Op::Mint {
                src,
                dest,
                mask,
                data,
            } => {
                let (src, dest) = (self.full(src), self.empty(dest));
                let new = tessera_caps::mint(
                    &self.store.cap(src),
                    Rights::from_bits_truncate(mask),
                    data,
                );
                self.insert_from(src, dest, new);
            }
            Op::ClaimIrq { src, dest, irq } => {
                let control = self
                    .live()
                    .into_iter()
                    .find(|(_, c)| *c == Cap::IrqControl)
                    .map(|(a, _)| a);
                let src = control.unwrap_or(self.full(src));
                self.claim_irq(src, self.empty(dest), irq);
            }
            Op::Reply {
                tcb_slot,
                dest,
                master,
            } => {
                // A TCB for a master reply capability, a master for a
                // one-shot one.
                let wanted = |c: &Cap| match c {
                    Cap::Tcb { .. } => master,
                    Cap::Reply { master: true, .. } => !master,
                    _ => false,
                };
                let candidates: Vec<SlotAddr> = self
                    .live()
                    .into_iter()
                    .filter(|(_, c)| wanted(c))
                    .map(|(a, _)| a)
                    .collect();
                let at = match candidates.len() as u64 {
                    0 => self.full(tcb_slot),
                    n => candidates[(tcb_slot % n) as usize],
                };
                self.reply(at, self.empty(dest), master);
            }
            Op::Move { src, dest, data } => self.move_cap(self.full(src), self.empty(dest), data),
            Op::Swap { a, b } => self.swap(self.full(a), self.full(b)),
            Op::Delete { at } => self.delete(self.full(at)),
            Op::Revoke { at } => self.revoke(self.full(at)),
        }
    }

    /// The checks listed at the top of the file.
    fn check(&self) {
        self.store.lists().unwrap();
        let occupied = self.store.occupied();
        assert_eq!(occupied, self.parent.keys().copied().collect::<Vec<_>>());
        for &x in &occupied {
            let mut trial = self.store.clone();
            let mut removed = Vec::new();
            for _ in 0..=SLOTS {
                let Some(d) = mdb::first_descendant(&trial, x) else {
                    break;
                };
                mdb::remove(&mut trial, d).unwrap();
                removed.push(d);
            }
            removed.sort();
            assert_eq!(removed, self.descendants(x), "descendants of {x:#x}");
            assert_eq!(mdb::has_children(&self.store, x), !removed.is_empty());
            assert_eq!(
                mdb::is_final(&self.store, x),
                !self.others_to_same_object(x),
                "is_final({x:#x})"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tree_matches_the_reference(ops in prop::collection::vec(op(), 1..120)) {
        let mut m = Model::default();
        // Start with something to work on.
        m.apply(&Op::Root { region: 0, dest: 0 });
        m.apply(&Op::IrqControl { dest: 1 });
        for op in &ops {
            m.apply(op);
            m.check();
        }
    }
}

/// The generated histories really do things: each kind of operation
/// changes the store many times over a deterministic sample (so the
/// property above cannot pass on refused operations alone).
#[test]
fn random_histories_exercise_every_operation() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut changed: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..200 {
        let ops = prop::collection::vec(op(), 1..80)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut m = Model::default();
        m.apply(&Op::Root { region: 0, dest: 0 });
        m.apply(&Op::IrqControl { dest: 1 });
        for op in &ops {
            let before = m.store.clone();
            m.apply(op);
            if m.store != before {
                *changed.entry(op.name()).or_default() += 1;
            }
        }
    }
    if std::env::var("MDB_TRACE").is_ok() {
        eprintln!("{changed:?}");
    }
    for name in [
        "root",
        "retype",
        "copy",
        "mint",
        "claim irq",
        "reply",
        "move",
        "swap",
        "delete",
        "revoke",
    ] {
        assert!(
            changed.get(name).copied().unwrap_or(0) >= 20,
            "{name}: {changed:?}"
        );
    }
}

/// A scenario that exercises every kind of step, with fixed slots.
#[test]
fn a_scripted_history() {
    let mut m = Model::default();
    let ut = Cap::Untyped {
        paddr: REGIONS[0],
        size_bits: REGION_BITS,
        free_index: 0,
        zeroed_to: 0,
        is_device: false,
    };
    let a = addr;
    let all = Rights::all();
    let step = |m: &mut Model, f: &dyn Fn(&mut Model)| {
        f(m);
        m.check();
        if std::env::var("MDB_TRACE").is_ok() {
            eprintln!("{:?}", m.store.lists().unwrap());
        }
    };
    step(&mut m, &|m| m.root(a(0), ut));
    step(&mut m, &|m| m.root(a(1), Cap::IrqControl));
    step(&mut m, &|m| m.retype(a(0), 8, 1, 2)); // endpoint in slot 2
    step(&mut m, &|m| {
        m.insert_from(a(2), a(3), tessera_caps::mint(&m.store.cap(a(2)), all, 1))
    });
    step(&mut m, &|m| {
        m.insert_from(a(3), a(4), tessera_caps::copy(&m.store.cap(a(3)), all))
    });
    step(&mut m, &|m| {
        m.insert_from(a(2), a(5), tessera_caps::mint(&m.store.cap(a(2)), all, 1))
    });
    step(&mut m, &|m| m.retype(a(0), 4, 1, 6)); // TCB
    step(&mut m, &|m| m.reply(a(6), a(7), true));
    step(&mut m, &|m| m.reply(a(7), a(8), false));
    step(&mut m, &|m| m.claim_irq(a(1), a(9), 2));
    step(&mut m, &|m| {
        m.insert_from(a(9), a(10), tessera_caps::copy(&m.store.cap(a(9)), all))
    });
    step(&mut m, &|m| m.move_cap(a(3), a(11), 3));
    step(&mut m, &|m| m.swap(a(11), a(5)));
    step(&mut m, &|m| m.swap(a(2), a(4)));
    step(&mut m, &|m| m.retype(a(0), 0, 1, 12)); // an untyped
    step(&mut m, &|m| {
        m.insert_from(a(12), a(13), tessera_caps::copy(&m.store.cap(a(12)), all))
    });
    step(&mut m, &|m| m.retype(a(13), 2, 2, 14)); // two notifications from the copy
    step(&mut m, &|m| m.delete(a(13)));
    step(&mut m, &|m| m.revoke(a(12)));
    step(&mut m, &|m| m.delete(a(11)));
    step(&mut m, &|m| m.revoke(a(4)));
    step(&mut m, &|m| m.revoke(a(0)));
    // Left: the untyped, IrqControl, the reply capabilities (a TCB's are
    // not in memory an Untyped covers) and the IRQ handlers.
    let left = [0, 1, 7, 8, 9, 10].map(addr);
    assert_eq!(m.store.occupied(), left);
}

/// A badged capability is deleted and the badge minted again from the
/// original: the old badge holder's copy must not become the new one's
/// child.
#[test]
fn a_badge_minted_again_after_deletion() {
    let mut m = Model::default();
    let ut = Cap::Untyped {
        paddr: REGIONS[1],
        size_bits: REGION_BITS,
        free_index: 0,
        zeroed_to: 0,
        is_device: false,
    };
    let a = addr;
    let all = Rights::all();
    m.root(a(0), ut);
    m.retype(a(0), 8, 1, 1);
    let steps: [&dyn Fn(&mut Model); 4] = [
        &|m| m.insert_from(a(1), a(2), tessera_caps::mint(&m.store.cap(a(1)), all, 2)),
        &|m| m.insert_from(a(2), a(3), tessera_caps::copy(&m.store.cap(a(2)), all)),
        &|m| m.delete(a(2)),
        &|m| m.insert_from(a(1), a(4), tessera_caps::mint(&m.store.cap(a(1)), all, 2)),
    ];
    for f in steps {
        f(&mut m);
        m.check();
    }
    assert_eq!(m.store.lists().unwrap(), [[a(0), a(1), a(4), a(3)]]);
    assert!(!mdb::has_children(&m.store, a(4)));
}
