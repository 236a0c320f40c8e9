//! Property tests of the capability and slot encodings.

use proptest::prelude::*;
use tessera_abi::Rights;
use tessera_caps::cap::{ASID_POOL_BITS, PADDR_BITS};
use tessera_caps::{Cap, FrameSize, Mapping, MdbNode, PtMapping, Slot, TCB_SLOT_COUNT, ZombieKind};

/// An address below 2^limit aligned to 2^bits (so the 2^bits block at it
/// ends at or below 2^limit).
fn aligned(bits: u8, limit: u8) -> impl Strategy<Value = u64> {
    (0..(1u64 << (limit - bits))).prop_map(move |i| i << bits)
}

fn paddr(bits: u8) -> impl Strategy<Value = u64> {
    aligned(bits, PADDR_BITS)
}

fn rights() -> impl Strategy<Value = Rights> {
    (0u64..16).prop_map(Rights::from_bits_truncate)
}

fn frame_size() -> impl Strategy<Value = FrameSize> {
    prop::sample::select(FrameSize::ALL.to_vec())
}

fn untyped() -> impl Strategy<Value = Cap> {
    (4u8..=47, any::<bool>(), any::<u64>()).prop_flat_map(|(size_bits, is_device, f)| {
        paddr(size_bits).prop_map(move |paddr| Cap::Untyped {
            paddr,
            size_bits,
            free_index: f % ((1u64 << size_bits) + 1),
            zeroed_to: 0,
            is_device,
        })
    })
}

fn cnode() -> impl Strategy<Value = Cap> {
    (1u8..=28, any::<u64>(), any::<u64>()).prop_flat_map(|(radix_bits, g, v)| {
        let guard_bits = (g % (65 - u64::from(radix_bits))) as u8;
        let guard = v
            & (1u64
                .checked_shl(u32::from(guard_bits))
                .unwrap_or(0)
                .wrapping_sub(1));
        paddr(radix_bits + 6).prop_map(move |paddr| Cap::CNode {
            paddr,
            radix_bits,
            guard_bits,
            guard,
        })
    })
}

fn frame() -> impl Strategy<Value = Cap> {
    (
        frame_size(),
        rights(),
        any::<bool>(),
        any::<bool>(),
        any::<u16>(),
    )
        .prop_flat_map(|(size, rights, is_device, mapped, asid)| {
            (paddr(size.bits()), aligned(size.bits(), 48)).prop_map(move |(paddr, vaddr)| {
                Cap::Frame {
                    paddr,
                    size,
                    rights,
                    is_device,
                    mapping: mapped.then_some(Mapping { asid, vaddr }),
                }
            })
        })
}

fn page_table() -> impl Strategy<Value = Cap> {
    (1u8..=3, any::<bool>(), any::<u16>()).prop_flat_map(|(level, mapped, asid)| {
        let covered = PtMapping::covered_bits(level).unwrap();
        (paddr(12), aligned(covered, 48)).prop_map(move |(paddr, vaddr)| Cap::PageTable {
            paddr,
            mapping: mapped.then_some(PtMapping { asid, vaddr, level }),
        })
    })
}

/// Every variant, well formed.
fn any_cap() -> impl Strategy<Value = Cap> {
    prop_oneof![
        Just(Cap::Null),
        untyped(),
        (paddr(5), any::<u64>(), rights()).prop_map(|(paddr, badge, rights)| Cap::Endpoint {
            paddr,
            badge,
            rights
        }),
        (paddr(6), any::<u64>(), rights()).prop_map(|(paddr, badge, rights)| Cap::Notification {
            paddr,
            badge,
            rights
        }),
        (paddr(11), any::<bool>(), any::<bool>()).prop_map(|(tcb, master, can_grant)| Cap::Reply {
            tcb,
            master,
            can_grant
        }),
        cnode(),
        paddr(11).prop_map(|paddr| Cap::Tcb { paddr }),
        frame(),
        page_table(),
        (paddr(12), any::<Option<u16>>()).prop_map(|(paddr, asid)| Cap::VSpace { paddr, asid }),
        Just(Cap::AsidControl),
        (paddr(12), 0u16..128).prop_map(|(paddr, i)| Cap::AsidPool {
            paddr,
            base: i << ASID_POOL_BITS
        }),
        Just(Cap::IrqControl),
        any::<u16>().prop_map(|irq| Cap::IrqHandler { irq }),
        (1u8..=28).prop_flat_map(|radix_bits| {
            (paddr(radix_bits + 6), 0..=1u64 << radix_bits).prop_map(move |(paddr, pending)| {
                Cap::Zombie {
                    paddr,
                    kind: ZombieKind::CNode { radix_bits },
                    pending,
                }
            })
        }),
        (paddr(11), 0..=TCB_SLOT_COUNT).prop_map(|(paddr, pending)| Cap::Zombie {
            paddr,
            kind: ZombieKind::Tcb,
            pending
        }),
    ]
}

/// Any value of any variant, fields unconstrained.
fn raw_cap() -> impl Strategy<Value = Cap> {
    (
        0u8..15,
        any::<u64>(),
        any::<u64>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<bool>(),
        any::<bool>(),
        frame_size(),
    )
        .prop_map(|(tag, x, y, a, b, h, p, q, size)| {
            let rights = Rights::from_bits_retain(y);
            match tag {
                0 => Cap::Null,
                1 => Cap::Untyped {
                    paddr: x,
                    size_bits: a,
                    free_index: y,
                    zeroed_to: 0,
                    is_device: p,
                },
                2 => Cap::Endpoint {
                    paddr: x,
                    badge: y,
                    rights,
                },
                3 => Cap::Notification {
                    paddr: x,
                    badge: y,
                    rights,
                },
                4 => Cap::Reply {
                    tcb: x,
                    master: p,
                    can_grant: q,
                },
                5 => Cap::CNode {
                    paddr: x,
                    radix_bits: a,
                    guard_bits: b,
                    guard: y,
                },
                6 => Cap::Tcb { paddr: x },
                7 => Cap::Frame {
                    paddr: x,
                    size,
                    rights,
                    is_device: p,
                    mapping: q.then_some(Mapping { asid: h, vaddr: y }),
                },
                8 => Cap::PageTable {
                    paddr: x,
                    mapping: q.then_some(PtMapping {
                        asid: h,
                        vaddr: y,
                        level: a,
                    }),
                },
                9 => Cap::VSpace {
                    paddr: x,
                    asid: p.then_some(h),
                },
                10 => Cap::AsidControl,
                11 => Cap::AsidPool { paddr: x, base: h },
                12 => Cap::IrqControl,
                13 => Cap::IrqHandler { irq: h },
                _ => Cap::Zombie {
                    paddr: x,
                    kind: if p {
                        ZombieKind::Tcb
                    } else {
                        ZombieKind::CNode { radix_bits: a }
                    },
                    pending: y,
                },
            }
        })
}

/// Words near valid encodings: a valid capability's words with random bits
/// flipped, so decoding is exercised past the tag check.
fn near_valid_words() -> impl Strategy<Value = [u64; 4]> {
    (any_cap(), 0usize..4, 0u32..64, any::<bool>()).prop_map(|(cap, w, bit, flip)| {
        let mut words = cap.encode();
        if flip {
            words[w] ^= 1 << bit;
        }
        words
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_variant_round_trips(cap in any_cap()) {
        prop_assert!(cap.is_well_formed());
        prop_assert_eq!(Cap::decode(&cap.encode()), Ok(cap));
    }

    #[test]
    fn trusted_decode_agrees_on_kernel_written_words(cap in any_cap(), prev: u64, next: u64, revocable: bool, first_badged: bool) {
        prop_assert_eq!(Cap::decode_trusted(&cap.encode()), Ok(cap));
        let mdb = if cap.is_null() { MdbNode::default() } else { MdbNode { prev, next, revocable, first_badged } };
        let slot = Slot { cap, mdb };
        prop_assert_eq!(Slot::decode_trusted(&slot.encode()), slot);
    }

    #[test]
    fn trusted_decode_never_panics(words in any::<[u64; 8]>()) {
        let _ = Slot::decode_trusted(&words);
    }

    #[test]
    fn random_words_never_panic_and_decode_canonically(words in any::<[u64; 4]>()) {
        if let Ok(cap) = Cap::decode(&words) {
            prop_assert_eq!(cap.encode(), words);
            prop_assert_eq!(Cap::decode(&cap.encode()), Ok(cap));
        }
    }

    #[test]
    fn near_valid_words_decode_canonically(words in near_valid_words()) {
        if let Ok(cap) = Cap::decode(&words) {
            prop_assert!(cap.is_well_formed());
            prop_assert_eq!(cap.encode(), words);
        }
    }

    #[test]
    fn slots_round_trip(cap in any_cap(), prev: u64, next: u64, revocable: bool, first_badged: bool) {
        let mdb = if cap.is_null() { MdbNode::default() } else { MdbNode { prev, next, revocable, first_badged } };
        let slot = Slot { cap, mdb };
        prop_assert_eq!(Slot::decode(&slot.encode()), Ok(slot));
    }

    #[test]
    fn random_slot_words_never_panic(words in any::<[u64; 8]>(), tag in 0u64..16) {
        let mut words = words;
        for w in [words, { words[0] = (words[0] & !0xff) | tag; words }] {
            if let Ok(slot) = Slot::decode(&w) {
                prop_assert_eq!(slot.encode(), w);
            }
        }
    }

    #[test]
    fn arbitrary_field_values_never_panic(a in raw_cap(), b in raw_cap(), data: u64, mask: u64, t in 0u64..10, size: u64, count in 0u64..300) {
        // Values built directly (not decoded) may break every field rule;
        // nothing may panic on them.
        let _ = (a.object_type(), a.paddr(), a.object_size_bits(), a.badge(), a.rights());
        if a.is_well_formed() {
            prop_assert_eq!(Cap::decode(&a.encode()), Ok(a));
        } else {
            prop_assert!(Cap::decode(&a.encode()).is_err());
        }
        let mask = Rights::from_bits_truncate(mask);
        let _ = (tessera_caps::derive(&a), tessera_caps::mint(&a, mask, data), tessera_caps::mutate(&a, data));
        let _ = (tessera_caps::same_region_as(&a, &b), tessera_caps::same_object_as(&a, &b), tessera_caps::is_revocable(&a, &b));
        let t = tessera_abi::ObjectType::from_u64(t).unwrap();
        if let Ok(plan) = tessera_caps::plan_retype(&a, data & 1 == 0, t, size, count) {
            let _ = (plan.cap_for(0), plan.cap_for(count), plan.updated_untyped(&a));
        }
    }
}

#[test]
fn malformed_values_are_handled_without_panics() {
    let odd = [
        Cap::Untyped {
            paddr: u64::MAX,
            size_bits: 255,
            free_index: u64::MAX,
            zeroed_to: 0,
            is_device: true,
        },
        Cap::CNode {
            paddr: u64::MAX,
            radix_bits: 255,
            guard_bits: 255,
            guard: u64::MAX,
        },
        Cap::Frame {
            paddr: u64::MAX,
            size: FrameSize::Huge,
            rights: Rights::all(),
            is_device: false,
            mapping: Some(Mapping {
                asid: u16::MAX,
                vaddr: u64::MAX,
            }),
        },
        Cap::PageTable {
            paddr: u64::MAX,
            mapping: Some(PtMapping {
                asid: 0,
                vaddr: u64::MAX,
                level: 200,
            }),
        },
        Cap::Reply {
            tcb: u64::MAX,
            master: true,
            can_grant: true,
        },
        Cap::AsidPool {
            paddr: u64::MAX,
            base: u16::MAX,
        },
    ];
    for cap in odd {
        assert!(!cap.is_well_formed(), "{cap:?}");
        assert!(Cap::decode(&cap.encode()).is_err());
        let _ = (cap.object_size_bits(), tessera_caps::derive(&cap));
        for other in odd {
            let _ = tessera_caps::same_region_as(&cap, &other);
        }
    }
}
