//! CSpace resolution against a reference on random CSpaces of up to three
//! levels, with guards, in both lookup modes.
//!
//! The reference works on the pointer as a list of bits (most significant
//! first) and compares guards bit by bit, so it shares no shifting or
//! masking with the crate.

mod common;

use common::MapStore;
use proptest::prelude::*;
use tessera_abi::LookupFailure;
use tessera_caps::{
    Cap, Depth, LookupError, LookupMode, MdbNode, Resolved, Slot, SlotAddr, SlotStore, resolve,
};

/// A CNode of the test CSpace; `paddr` is given by [`build`].
#[derive(Clone, Debug)]
struct Node {
    paddr: u64,
    radix: u8,
    guard_bits: u8,
    guard: u64,
    slots: Vec<Entry>,
}

#[derive(Clone, Debug)]
enum Entry {
    Empty,
    Leaf,
    Node(Node),
}

fn node(children: impl Strategy<Value = Entry> + Clone) -> impl Strategy<Value = Node> {
    (1u8..=3, 0u8..=20, any::<u64>()).prop_flat_map(move |(radix, guard_bits, g)| {
        let guard = g & ((1u64 << guard_bits) - 1);
        prop::collection::vec(children.clone(), 1usize << radix).prop_map(move |slots| Node {
            paddr: 0,
            radix,
            guard_bits,
            guard,
            slots,
        })
    })
}

fn leaf_entry() -> impl Strategy<Value = Entry> + Clone {
    prop_oneof![Just(Entry::Empty), Just(Entry::Leaf)]
}

fn cspace() -> impl Strategy<Value = Node> {
    let level3 = node(leaf_entry()).prop_map(Entry::Node);
    let level2 = node(prop_oneof![2 => leaf_entry(), 1 => level3]).prop_map(Entry::Node);
    node(prop_oneof![1 => leaf_entry(), 2 => level2])
}

fn slot_of(cnode: u64, index: u64) -> SlotAddr {
    cnode + index * 64
}

fn cnode_cap(n: &Node) -> Cap {
    Cap::CNode {
        paddr: n.paddr,
        radix_bits: n.radix,
        guard_bits: n.guard_bits,
        guard: n.guard,
    }
}

/// Gives the CNodes addresses (1 MiB apart, so aligned) and writes their
/// slots: leaves are TCB capabilities.
fn build(n: &mut Node, count: &mut u64, store: &mut MapStore) {
    *count += 1;
    n.paddr = *count << 20;
    for (i, e) in n.slots.iter_mut().enumerate() {
        let cap = match e {
            Entry::Empty => continue,
            Entry::Leaf => Cap::Tcb {
                paddr: 0x800 * (i as u64 + 1),
            },
            Entry::Node(child) => {
                build(child, count, store);
                cnode_cap(child)
            }
        };
        store.write(
            slot_of(n.paddr, i as u64),
            Slot {
                cap,
                mdb: MdbNode::default(),
            },
        );
    }
}

fn value(bits: &[bool]) -> u64 {
    bits.iter().fold(0, |v, &b| (v << 1) | u64::from(b))
}

fn bits_of(v: u64, n: u8) -> Vec<bool> {
    (0..n).rev().map(|i| (v >> i) & 1 == 1).collect()
}

/// The reference lookup.
fn reference(root: &Node, cptr: u64, depth: u8, mode: LookupMode) -> Result<Resolved, LookupError> {
    let bits = bits_of(cptr, depth);
    let err = |kind, left: usize, details| {
        Err(LookupError {
            kind,
            bits_left: left as u8,
            details,
        })
    };
    let mut node = root;
    let mut pos = 0;
    loop {
        let left = bits.len() - pos;
        let gb = usize::from(node.guard_bits);
        if gb > left {
            return err(
                LookupFailure::GuardMismatch,
                left,
                [value(&bits[pos..]), gb as u64],
            );
        }
        let found = &bits[pos..pos + gb];
        if found != bits_of(node.guard, node.guard_bits) {
            return err(
                LookupFailure::GuardMismatch,
                left,
                [value(found), gb as u64],
            );
        }
        let level = gb + usize::from(node.radix);
        if level > left {
            return err(LookupFailure::DepthMismatch, left, [level as u64, 0]);
        }
        let index = value(&bits[pos + gb..pos + level]);
        pos += level;
        let slot = slot_of(node.paddr, index);
        let left = bits.len() - pos;
        if left == 0 {
            return Ok(Resolved { slot, bits_left: 0 });
        }
        match &node.slots[index as usize] {
            Entry::Node(child) => node = child,
            _ if mode == LookupMode::Capability => {
                return Ok(Resolved {
                    slot,
                    bits_left: left as u8,
                });
            }
            _ => return err(LookupFailure::DepthMismatch, left, [0, 0]),
        }
    }
}

/// A pointer that follows the tree (so lookups get deep), with one guard
/// sometimes corrupted and a depth near the length of the path; bits past
/// the path and above the depth are random.
fn pointer(root: &Node, choices: &[u64], corrupt: u64, noise: u64, slack: i8) -> (u64, u8) {
    let mut path: Vec<bool> = Vec::new();
    let mut node = Some(root);
    let mut k = 0;
    while let Some(n) = node {
        let mut guard = bits_of(n.guard, n.guard_bits);
        if corrupt % 6 == k && !guard.is_empty() {
            guard[0] = !guard[0];
        }
        path.extend(guard);
        let index = choices.get(k as usize).copied().unwrap_or(0) % n.slots.len() as u64;
        path.extend(bits_of(index, n.radix));
        node = match &n.slots[index as usize] {
            Entry::Node(c) => Some(c),
            _ => None,
        };
        k += 1;
    }
    let depth = (path.len() as i64 + i64::from(slack)).clamp(1, 64) as u8;
    // The low `depth` bits: the path, cut or padded with noise.
    let mut low: Vec<bool> = path.into_iter().take(usize::from(depth)).collect();
    let pad = usize::from(depth) - low.len();
    low.extend(bits_of(noise, 64).into_iter().take(pad));
    let above = if depth == 64 { 0 } else { noise << depth };
    (value(&low) | above, depth)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn resolution_matches_the_reference(
        root in cspace(),
        choices in prop::collection::vec(any::<u64>(), 3),
        corrupt: u64,
        tail: u64,
        slack in -3i8..=3,
        random_ptr: u64,
        random_depth in 1u8..=64,
        use_random: bool,
    ) {
        let mut root = root;
        let mut store = MapStore::default();
        build(&mut root, &mut 0, &mut store);
        let (cptr, depth) = if use_random { (random_ptr, random_depth) } else { pointer(&root, &choices, corrupt, tail, slack) };
        for mode in [LookupMode::Capability, LookupMode::Slot] {
            let got = resolve(&cnode_cap(&root), cptr, Depth::new(depth.into()).unwrap(), mode, &store, slot_of);
            let want = reference(&root, cptr, depth, mode);
            prop_assert_eq!(got, want, "cptr {:#x} depth {} {:?}", cptr, depth, mode);
        }
    }
}

/// The generated lookups reach every outcome often (so the property above
/// is not passed by, say, guard mismatches alone).
#[test]
fn the_generator_reaches_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut counts = [0usize; 5];
    for _ in 0..2000 {
        let mut root = cspace().new_tree(&mut runner).unwrap().current();
        let mut store = MapStore::default();
        build(&mut root, &mut 0, &mut store);
        let choices: Vec<u64> = (0..3)
            .map(|_| any::<u64>().new_tree(&mut runner).unwrap().current())
            .collect();
        let seed = any::<(u64, u64, i8)>()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let (cptr, depth) = pointer(&root, &choices, seed.0, seed.1, seed.2 % 4);
        let r = resolve(
            &cnode_cap(&root),
            cptr,
            Depth::new(depth.into()).unwrap(),
            LookupMode::Capability,
            &store,
            slot_of,
        );
        let i = match r {
            Ok(Resolved { bits_left: 0, slot }) if slot >= 2 << 20 => 0,
            Ok(Resolved { bits_left: 0, .. }) => 1,
            Ok(_) => 2,
            Err(LookupError {
                kind: LookupFailure::GuardMismatch,
                ..
            }) => 3,
            Err(_) => 4,
        };
        counts[i] += 1;
    }
    assert!(
        counts.iter().all(|&c| c >= 50),
        "exact deep / exact root / bits left / guard / depth: {counts:?}"
    );
}
