use super::*;
use crate::derive::copy;
use crate::mdb::{first_descendant, insert, insert_new_object};
use crate::slot::{NO_SLOT, Slot};
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::vec::Vec;
use tessera_abi::Rights;

/// Slots in a map, counting accesses so tests can bound a step's work.
#[derive(Default)]
struct Store {
    slots: BTreeMap<SlotAddr, Slot>,
    accesses: Cell<usize>,
}

impl SlotStore for Store {
    fn read(&self, at: SlotAddr) -> Slot {
        self.accesses.set(self.accesses.get() + 1);
        self.slots.get(&at).copied().unwrap_or(Slot::EMPTY)
    }
    fn write(&mut self, at: SlotAddr, slot: Slot) {
        self.accesses.set(self.accesses.get() + 1);
        if slot.is_empty() {
            self.slots.remove(&at);
        } else {
            self.slots.insert(at, slot);
        }
    }
}

/// The Untyped everything comes from, in a slot outside its region.
const U: SlotAddr = 0x10;
const REGION: u64 = 0x100_0000;
const REGION_BITS: u8 = 24;
/// "User" slots outside every object: what threads can name.
const ROOT: SlotAddr = 0x20_0000;
/// Where a TCB's slots are inside it (a made-up layout).
const TCB_SLOTS_AT: u64 = 0x400;

fn root_slot(i: u64) -> SlotAddr {
    ROOT + i * 64
}

/// The objects, and what the kernel side did.
#[derive(Default)]
struct World {
    next: u64,
    /// Live objects: paddr → capability to them (as Retype made it).
    live: BTreeMap<u64, Cap>,
    destroyed: Vec<Cap>,
    stopped: Vec<u64>,
}

impl Teardown<Store> for World {
    fn tcb_slot(&self, tcb: u64, index: u64) -> SlotAddr {
        tcb + TCB_SLOTS_AT + index * 64
    }

    fn delete_leaf(&mut self, store: &mut Store, at: SlotAddr) {
        let removed = mdb::remove(store, at).expect("a leaf to delete");
        assert!(
            !matches!(removed.cap, Cap::Zombie { .. }),
            "zombies are not leaves"
        );
        if removed.is_final {
            assert!(
                !matches!(removed.cap, Cap::CNode { .. } | Cap::Tcb { .. }),
                "the last cap to a container deleted as a leaf: {:?}",
                removed.cap
            );
            self.gone(removed.cap);
        }
    }

    fn stop_thread(&mut self, _store: &mut Store, tcb: u64) {
        assert!(!self.stopped.contains(&tcb), "a thread stopped twice");
        self.stopped.push(tcb);
    }

    fn destroyed(&mut self, zombie: &Cap) {
        let Cap::Zombie { paddr, .. } = *zombie else {
            panic!("destroyed() with {zombie:?}");
        };
        let cap = self.live.get(&paddr).copied().expect("a live object");
        self.gone(cap);
    }
}

impl World {
    fn gone(&mut self, cap: Cap) {
        let paddr = cap.paddr().expect("an object");
        assert!(
            self.live.remove(&paddr).is_some(),
            "{cap:?} destroyed twice"
        );
        self.destroyed.push(cap);
    }

    /// Retypes an object from U into `dest`.
    /// Kind 0 an endpoint, 1 a TCB, 4 a CNode of radix 1, any other a CNode
    /// of that radix.
    fn make(&mut self, s: &mut Store, kind: u8, dest: SlotAddr) -> Cap {
        let radix = if kind == 4 { 1 } else { kind };
        let bits = match kind {
            0 => 5,
            1 => 11,
            _ => radix + 6,
        };
        let size = 1u64 << bits;
        let paddr = REGION + self.next.next_multiple_of(size);
        self.next = paddr - REGION + size;
        assert!(self.next <= 1 << REGION_BITS, "the model's Untyped is full");
        let cap = match kind {
            0 => Cap::Endpoint {
                paddr,
                badge: 0,
                rights: Rights::ALL,
            },
            1 => Cap::Tcb { paddr },
            _ => cnode(paddr, radix),
        };
        insert_new_object(s, U, dest, cap).unwrap();
        self.live.insert(paddr, cap);
        cap
    }
}

fn cnode(paddr: u64, radix_bits: u8) -> Cap {
    Cap::CNode {
        paddr,
        radix_bits,
        guard_bits: 0,
        guard: 0,
    }
}

fn new_store() -> Store {
    let mut s = Store::default();
    mdb::insert_root(
        &mut s,
        U,
        Cap::Untyped {
            paddr: REGION,
            size_bits: REGION_BITS,
            free_index: 0,
            zeroed_to: 0,
            is_device: false,
        },
    )
    .unwrap();
    s
}

/// The slots of the container `cap`.
fn slots_of(w: &World, cap: &Cap) -> Vec<SlotAddr> {
    match *cap {
        Cap::CNode {
            paddr, radix_bits, ..
        } => (0..1u64 << radix_bits).map(|i| paddr + i * 64).collect(),
        Cap::Tcb { paddr } => (0..TCB_SLOT_COUNT).map(|i| w.tcb_slot(paddr, i)).collect(),
        _ => Vec::new(),
    }
}

/// Copies the cap in `src` into the empty slot `dest`.
fn copy_into(s: &mut Store, src: SlotAddr, dest: SlotAddr) {
    let c = copy(&s.read(src).cap, Rights::ALL).unwrap();
    insert(s, src, dest, c).unwrap();
}

/// Every invariant the deletion keeps, over the whole store.
fn check(s: &Store, w: &World) {
    // The list: consistent links, no cycle, every full slot on it.
    let mut on_list = BTreeSet::new();
    for (&at, slot) in &s.slots {
        if slot.mdb.prev == NO_SLOT {
            let (mut x, mut prev) = (at, NO_SLOT);
            while x != NO_SLOT {
                let sx = s.slots.get(&x).expect("a link to an empty slot");
                assert_eq!(sx.mdb.prev, prev, "back link of {x:#x}");
                assert!(on_list.insert(x), "cycle at {x:#x}");
                prev = x;
                x = sx.mdb.next;
            }
        }
    }
    assert_eq!(on_list.len(), s.slots.len(), "full slots off the list");
    let mut zombies = BTreeSet::new();
    for (&at, slot) in &s.slots {
        // No capability in freed memory, none to a destroyed object.
        if (REGION..REGION + (1 << REGION_BITS)).contains(&at) {
            let owner = w.live.range(..=at).next_back().expect("an owner");
            let size = 1u64 << owner.1.object_size_bits().unwrap();
            assert!(at < owner.0 + size, "a full slot {at:#x} in freed memory");
        }
        if let Some(p) = slot.cap.paddr()
            && slot.cap != s.slots[&U].cap
        {
            assert!(
                w.live.contains_key(&p),
                "{:?} names a destroyed object",
                slot.cap
            );
        }
        if let Cap::Zombie {
            paddr,
            kind,
            pending,
        } = slot.cap
        {
            assert!(zombies.insert(paddr), "two zombies to {paddr:#x}");
            assert!(pending <= kind.slot_count());
            assert!(mdb::is_final(s, at), "a zombie beside another cap");
            let obj = w.live[&paddr];
            // Invariant 1: nothing from `pending` on.
            for (i, x) in slots_of(w, &obj).into_iter().enumerate() {
                if i as u64 >= pending {
                    assert!(!s.slots.contains_key(&x), "{x:#x} full past pending");
                }
            }
            assert!(
                first_descendant(s, U).is_some(),
                "the zombie's Untyped has children"
            );
        }
    }
    // Every zombie's object is a child of U: walk U's descendants.
    let mut x = s.slots[&U].mdb.next;
    let mut seen = 0;
    while x != NO_SLOT && crate::is_mdb_parent_of(&s.slots[&U], &s.slots[&x]) {
        if matches!(s.slots[&x].cap, Cap::Zombie { .. }) {
            seen += 1;
        }
        x = s.slots[&x].mdb.next;
    }
    assert_eq!(seen, zombies.len(), "a zombie left the Untyped's subtree");
}

/// Deletes `top` to the end in calls of `budget` steps, checking the
/// invariants and the cost of every step; returns the number of steps.
fn delete_all(s: &mut Store, w: &mut World, top: SlotAddr, budget: usize) -> usize {
    let mut steps = 0;
    loop {
        s.accesses.set(0);
        let done = step(s, w, top) == Progress::Done;
        steps += 1;
        assert!(
            s.accesses.get() <= MAX_ACCESSES,
            "a step read or wrote {} slots",
            s.accesses.get()
        );
        if steps % budget == 0 || done {
            check(s, w);
        }
        if done {
            assert!(s.read(top).is_empty());
            return steps;
        }
        assert!(steps < 100_000, "no end");
    }
}

/// A step's slot accesses, whatever the structure (a constant).
const MAX_ACCESSES: usize = 80;

#[test]
fn a_large_cnode_of_copies_goes_in_steps() {
    let (mut s, mut w) = (new_store(), World::default());
    let ep = root_slot(0);
    w.make(&mut s, 0, ep);
    let top = root_slot(1);
    let cn = w.make(&mut s, 8, top);
    for x in slots_of(&w, &cn) {
        copy_into(&mut s, ep, x);
    }
    assert!(!mdb::is_final(&s, ep));
    let steps = delete_all(&mut s, &mut w, top, 16);
    // One step makes the zombie, one per slot, one removes it.
    assert_eq!(steps, 256 + 2);
    assert_eq!(w.destroyed, [cn]);
    assert!(mdb::is_final(&s, ep), "every copy is gone");
    assert_eq!(s.slots.len(), 2, "only U and the endpoint are left");
}

#[test]
fn budget_stops_and_resumes() {
    let (mut s, mut w) = (new_store(), World::default());
    let top = root_slot(0);
    let cn = w.make(&mut s, 3, top);
    let ep = root_slot(1);
    w.make(&mut s, 0, ep);
    for x in slots_of(&w, &cn) {
        copy_into(&mut s, ep, x);
    }
    let mut budget = 4;
    assert!(!delete(&mut s, &mut w, top, &mut budget));
    assert_eq!(budget, 0);
    assert!(matches!(s.read(top).cap, Cap::Zombie { pending: 5, .. }));
    check(&s, &w);
    let mut budget = 100;
    assert!(delete(&mut s, &mut w, top, &mut budget));
    assert_eq!(budget, 100 - 6, "5 slots, then the removal");
    let mut budget = 1;
    assert!(delete(&mut s, &mut w, top, &mut budget), "an empty slot");
}

#[test]
fn a_deep_chain_is_emptied_iteratively() {
    const DEPTH: usize = 300;
    let (mut s, mut w) = (new_store(), World::default());
    let ep = root_slot(0);
    w.make(&mut s, 0, ep);
    let top = root_slot(1);
    let mut holder = top;
    let mut cnodes = Vec::new();
    for _ in 0..DEPTH {
        let cn = w.make(&mut s, 2, holder);
        let slots = slots_of(&w, &cn);
        // An endpoint copy at both ends, the next CNode in the middle.
        copy_into(&mut s, ep, slots[0]);
        copy_into(&mut s, ep, slots[3]);
        holder = slots[1 + cnodes.len() % 2];
        cnodes.push(cn);
    }
    delete_all(&mut s, &mut w, top, 64);
    assert_eq!(w.destroyed.len(), DEPTH);
    assert!(w.live.len() == 1 && mdb::is_final(&s, ep));
    assert_eq!(s.slots.len(), 2);
}

#[test]
fn a_thread_and_the_cspace_only_it_holds() {
    let (mut s, mut w) = (new_store(), World::default());
    let ep = root_slot(0);
    w.make(&mut s, 0, ep);
    let top = root_slot(1);
    let t = w.make(&mut s, 1, top);
    let ts = slots_of(&w, &t);
    let cs = w.make(&mut s, 3, ts[0]);
    // A second thread inside the CSpace, holding a CNode of its own.
    let inner = w.make(&mut s, 1, slots_of(&w, &cs)[5]);
    let inner_cs = w.make(&mut s, 2, slots_of(&w, &inner)[0]);
    for x in slots_of(&w, &cs).into_iter().chain(slots_of(&w, &inner_cs)) {
        if s.read(x).is_empty() {
            copy_into(&mut s, ep, x);
        }
    }
    copy_into(&mut s, ep, ts[4]);
    delete_all(&mut s, &mut w, top, 8);
    assert_eq!(w.stopped.len(), 2, "both threads stopped");
    assert_eq!(w.stopped[0], t.paddr().unwrap(), "the outer one first");
    assert_eq!(w.live.len(), 1);
    assert!(mdb::is_final(&s, ep));
}

#[test]
fn a_copy_elsewhere_keeps_the_object() {
    let (mut s, mut w) = (new_store(), World::default());
    let top = root_slot(0);
    let cn = w.make(&mut s, 2, top);
    copy_into(&mut s, top, root_slot(1));
    let mut budget = 10;
    assert!(delete(&mut s, &mut w, top, &mut budget));
    assert_eq!(budget, 9, "not the last cap: one step");
    assert!(w.destroyed.is_empty());
    assert_eq!(s.read(root_slot(1)).cap, cn);
}

#[test]
fn a_self_holding_cnode_is_left_for_its_untyped() {
    // A CNode whose only cap is in its own slot 2: garbage. Deleting that
    // slot (as a Revoke would) leaves the zombie in the CNode's slot 0;
    // revoking the Untyped then finishes it.
    let (mut s, mut w) = (new_store(), World::default());
    let ep = root_slot(0);
    w.make(&mut s, 0, ep);
    let holder = root_slot(1);
    let cn = w.make(&mut s, 2, holder);
    let slots = slots_of(&w, &cn);
    copy_into(&mut s, ep, slots[3]);
    copy_into(&mut s, ep, slots[0]);
    mdb::move_cap(&mut s, holder, slots[2], cn).unwrap();
    delete_all(&mut s, &mut w, slots[2], 4);
    check(&s, &w);
    revoke_all(&mut s, &mut w);
    assert_eq!(w.live.len(), 0);
    assert_eq!(s.slots.len(), 1);
}

/// Revokes U to the end, in budgets of 7 steps.
fn revoke_all(s: &mut Store, w: &mut World) {
    let mut rounds = 0;
    while let Some(child) = first_descendant(s, U) {
        let mut budget = 7;
        let _ = delete(s, w, child, &mut budget);
        check(s, w);
        rounds += 1;
        assert!(rounds < 100_000, "the revoke does not end");
    }
}

/// A random structure: `objects` made into random slots (user slots or
/// slots of containers made before them, unless `cycles`), then copies.
#[derive(Clone, Debug)]
struct Plan {
    objects: Vec<(u8, usize)>,
    copies: Vec<(usize, usize)>,
    deletes: Vec<(usize, usize)>,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec((0u8..5, any::<usize>()), 1..40),
        prop::collection::vec((any::<usize>(), any::<usize>()), 0..60),
        prop::collection::vec((any::<usize>(), 1usize..9), 1..12),
    )
        .prop_map(|(objects, copies, deletes)| Plan {
            objects,
            copies,
            deletes,
        })
}

const USER_SLOTS: u64 = 8;

/// Builds the plan: returns the store, the world and every slot.
fn build(p: &Plan, cycles: bool) -> (Store, World, Vec<SlotAddr>) {
    let (mut s, mut w) = (new_store(), World::default());
    let mut slots: Vec<SlotAddr> = (0..USER_SLOTS).map(root_slot).collect();
    let mut placed = Vec::new();
    for &(kind, at) in &p.objects {
        let free: Vec<_> = slots
            .iter()
            .copied()
            .filter(|x| s.read(*x).is_empty())
            .collect();
        if free.is_empty() {
            break;
        }
        let dest = free[at % free.len()];
        let cap = w.make(&mut s, kind, dest);
        placed.push(dest);
        slots.extend(slots_of(&w, &cap));
    }
    for &(from, to) in &p.copies {
        let src = placed[from % placed.len()];
        let container = matches!(s.read(src).cap, Cap::CNode { .. } | Cap::Tcb { .. });
        // Without cycles, copies of containers only go to user slots.
        let free: Vec<_> = slots
            .iter()
            .copied()
            .filter(|x| s.read(*x).is_empty() && (cycles || !container || *x < REGION))
            .collect();
        if free.is_empty() || s.read(src).is_empty() {
            continue;
        }
        copy_into(&mut s, src, free[to % free.len()]);
    }
    if cycles {
        // Move some originals into containers made after them.
        for (i, &(_, to)) in p.copies.iter().enumerate().take(6) {
            let src = placed[i % placed.len()];
            let free: Vec<_> = slots
                .iter()
                .copied()
                .filter(|x| s.read(*x).is_empty())
                .collect();
            if free.is_empty() || s.read(src).is_empty() {
                continue;
            }
            let cap = s.read(src).cap;
            mdb::move_cap(&mut s, src, free[to % free.len()], cap).unwrap();
        }
    }
    check(&s, &w);
    (s, w, slots)
}

/// The objects reachable from the user slots through containers.
fn reachable(s: &Store, w: &World) -> BTreeSet<u64> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<SlotAddr> = (0..USER_SLOTS).map(root_slot).collect();
    while let Some(x) = todo.pop() {
        let cap = s.read(x).cap;
        if let Some(p) = cap.paddr()
            && seen.insert(p)
        {
            todo.extend(slots_of(w, &cap));
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Without cycles, deleting the user slots (interleaved, in small
    /// budgets) destroys exactly what became unreachable, and each object
    /// only once it is empty.
    #[test]
    fn acyclic_deletion_is_complete(p in plan()) {
        let (mut s, mut w, _) = build(&p, false);
        let mut tops: Vec<SlotAddr> = Vec::new();
        for &(which, budget) in &p.deletes {
            let top = root_slot(which as u64 % USER_SLOTS);
            if !tops.contains(&top) {
                tops.push(top);
            }
            // Give some budget to each deletion begun so far, like threads
            // restarting in turn.
            for &t in &tops {
                let mut b = budget;
                let _ = delete(&mut s, &mut w, t, &mut b);
                check(&s, &w);
            }
        }
        for &t in &tops {
            delete_all(&mut s, &mut w, t, 5);
        }
        let reach = reachable(&s, &w);
        let live: BTreeSet<u64> = w.live.keys().copied().collect();
        prop_assert_eq!(live, reach, "what is unreachable is destroyed");
        revoke_all(&mut s, &mut w);
        prop_assert!(w.live.is_empty());
        prop_assert_eq!(s.slots.len(), 1);
    }

    /// With cycles, nothing is corrupted, every deletion ends, and revoking
    /// the Untyped destroys everything.
    #[test]
    fn cyclic_structures_stay_sound(p in plan()) {
        let (mut s, mut w, slots) = build(&p, true);
        for &(which, budget) in &p.deletes {
            // Any full slot, as Revoke may pick one inside an object.
            let full: Vec<_> = slots.iter().copied().filter(|x| !s.read(*x).is_empty()).collect();
            if full.is_empty() {
                break;
            }
            let top = full[which % full.len()];
            let mut b = budget;
            let _ = delete(&mut s, &mut w, top, &mut b);
            check(&s, &w);
        }
        for t in (0..USER_SLOTS).map(root_slot) {
            delete_all(&mut s, &mut w, t, 3);
        }
        revoke_all(&mut s, &mut w);
        prop_assert!(w.live.is_empty());
        prop_assert_eq!(s.slots.len(), 1);
    }
}
