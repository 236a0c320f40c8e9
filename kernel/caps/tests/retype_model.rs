//! Retype planning against a reference allocator.
//!
//! One Untyped; random Retypes and deletions of the objects made. The
//! reference keeps the live objects and decides independently whether a
//! request fits and where; every plan is checked for alignment, for lying
//! inside the Untyped, past the watermark, and for not overlapping a live
//! object.

use proptest::prelude::*;
use tessera_abi::{Error, ObjectType};
use tessera_caps::untyped::size_bits_range;
use tessera_caps::{Cap, RETYPE_FAN_OUT_LIMIT, SyscallError, plan_retype};

#[derive(Clone, Debug)]
enum Op {
    Retype { t: u64, size_bits: u64, count: u64 },
    DeleteOne(usize),
    DeleteAll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..10, prop_oneof![0u64..16, 0u64..64, any::<u64>()], prop_oneof![1u64..8, 0u64..300])
            .prop_map(|(t, size_bits, count)| Op::Retype { t, size_bits, count }),
        2 => any::<usize>().prop_map(Op::DeleteOne),
        1 => Just(Op::DeleteAll),
    ]
}

/// The reference: the untyped's fields and the live objects' byte ranges.
struct Reference {
    base: u64,
    size: u128,
    is_device: bool,
    live: Vec<(u128, u128)>,
}

impl Reference {
    /// What the kernel must answer, computed without the crate's code.
    fn expect(
        &self,
        watermark: u64,
        t: ObjectType,
        size_bits: u64,
        count: u64,
    ) -> Result<(u128, u128), SyscallError> {
        let object_bits: u32 = match (t, size_bits_range(t)) {
            (ObjectType::Untyped, _) if (4..=47).contains(&size_bits) => size_bits as u32,
            (ObjectType::CNode, _) if (1..=28).contains(&size_bits) => size_bits as u32 + 6,
            (_, Some((min, max))) => return Err(SyscallError::range(min.into(), max.into())),
            (ObjectType::Tcb, None) => 11,
            (ObjectType::Endpoint, None) => 5,
            (ObjectType::Notification, None) => 6,
            (ObjectType::Frame2M, None) => 21,
            (ObjectType::Frame1G, None) => 30,
            _ => 12,
        };
        if !(1..=RETYPE_FAN_OUT_LIMIT).contains(&count) {
            return Err(SyscallError::range(1, RETYPE_FAN_OUT_LIMIT));
        }
        let frame_or_untyped = matches!(
            t,
            ObjectType::Untyped | ObjectType::Frame4K | ObjectType::Frame2M | ObjectType::Frame1G
        );
        if self.is_device && !frame_or_untyped {
            return Err(SyscallError::invalid_argument(0));
        }
        let start = if self.live.is_empty() {
            0
        } else {
            u128::from(watermark)
        };
        let object = 1u128 << object_bits;
        let first = start.next_multiple_of(object);
        let end = first + object * u128::from(count);
        if end > self.size {
            return Err(SyscallError::not_enough_memory((self.size - start) as u64));
        }
        Ok((first, end))
    }
}

fn untyped() -> impl Strategy<Value = Cap> {
    (12u8..=22, 0u64..1024, any::<bool>(), any::<bool>()).prop_map(
        |(size_bits, k, is_device, fresh)| Cap::Untyped {
            paddr: k << 22,
            size_bits,
            free_index: if fresh { 0 } else { (1u64 << size_bits) / 2 },
            zeroed_to: 0,
            is_device,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn plans_match_the_reference(mut ut in untyped(), ops in prop::collection::vec(op(), 1..60)) {
        let Cap::Untyped { paddr: base, size_bits, is_device, .. } = ut else { unreachable!() };
        let mut r = Reference { base, size: 1u128 << size_bits, is_device, live: Vec::new() };
        for op in ops {
            match op {
                Op::DeleteOne(i) if !r.live.is_empty() => {
                    let n = r.live.len();
                    r.live.remove(i % n);
                }
                Op::DeleteOne(_) | Op::DeleteAll => r.live.clear(),
                Op::Retype { t, size_bits, count } => {
                    let t = ObjectType::from_u64(t).unwrap();
                    let Cap::Untyped { free_index, .. } = ut else { unreachable!() };
                    let got = plan_retype(&ut, !r.live.is_empty(), t, size_bits, count);
                    let want = r.expect(free_index, t, size_bits, count);
                    match (got, want) {
                        (Err(g), Err(w)) => prop_assert_eq!(g, w),
                        (Ok(plan), Ok((first, end))) => {
                            prop_assert_eq!(u128::from(plan.first_paddr - r.base), first);
                            prop_assert_eq!(u128::from(plan.new_free_index), end);
                            prop_assert_eq!(plan.reset, r.live.is_empty());
                            prop_assert_eq!(plan.count, count);
                            let object = 1u128 << plan.object_bits;
                            for i in 0..count {
                                let start = u128::from(plan.object_paddr(i).unwrap() - r.base);
                                let obj = (start, start + object);
                                prop_assert_eq!(start % object, 0, "aligned");
                                prop_assert!(u128::from(plan.object_paddr(i).unwrap()) % object == 0);
                                prop_assert!(obj.1 <= r.size, "inside the untyped");
                                for &(s, e) in &r.live {
                                    prop_assert!(obj.1 <= s || e <= obj.0, "{:?} overlaps {:?}", obj, (s, e));
                                }
                                let cap = plan.cap_for(i).unwrap();
                                prop_assert!(cap.is_well_formed(), "{:?}", cap);
                                prop_assert_eq!(cap.object_type(), Some(t));
                                r.live.push(obj);
                            }
                            prop_assert_eq!(plan.object_paddr(count), None);
                            let watermark_before = free_index;
                            ut = plan.updated_untyped(&ut);
                            let Cap::Untyped { free_index, .. } = ut else { unreachable!() };
                            if !plan.reset {
                                prop_assert!(free_index >= watermark_before, "the watermark only grows");
                            }
                            prop_assert!(ut.is_well_formed());
                        }
                        (g, w) => prop_assert!(false, "got {:?}, expected {:?}", g, w),
                    }
                }
            }
        }
    }
}

#[test]
fn errors_carry_reply_details() {
    let ut = Cap::Untyped {
        paddr: 0,
        size_bits: 12,
        free_index: 0x800,
        is_device: false,
        zeroed_to: 0,
    };
    let e = plan_retype(&ut, true, ObjectType::Tcb, 0, 2).unwrap_err();
    assert_eq!((e.error, e.details), (Error::NotEnoughMemory, [0x800, 0]));
    let e = plan_retype(&ut, true, ObjectType::CNode, 40, 1).unwrap_err();
    assert_eq!((e.error, e.details), (Error::RangeError, [1, 28]));
}

/// Memory as the kernel's zeroing sees it: one flag per 16-byte granule
/// (the smallest object), true where it may hold old data.
struct Memory {
    dirty: Vec<bool>,
}

impl Memory {
    const GRANULE: u64 = 16;

    fn set(&mut self, from: u64, to: u64, dirty: bool) {
        for g in (from / Self::GRANULE)..to.div_ceil(Self::GRANULE) {
            self.dirty[g as usize] = dirty;
        }
    }

    fn all_zero(&self, from: u64, to: u64) -> bool {
        ((from / Self::GRANULE)..to.div_ceil(Self::GRANULE)).all(|g| !self.dirty[g as usize])
    }
}

proptest! {
    /// Whatever the order of Retypes, deletions and preemptions (a random
    /// zeroing budget per kernel entry), every object but an Untyped is made
    /// from memory that is all zero. Memory starts dirty (boot does not
    /// zero it), and an object's memory is dirty once made (its user wrote
    /// to it).
    #[test]
    fn objects_are_made_from_zeroed_memory(
        ops in proptest::collection::vec(
            (0usize..5, 1u64..6, 0u64..2, 16u64..0x6000),
            1..60,
        )
    ) {
        const UT_BITS: u8 = 16;
        let types = [
            (ObjectType::Endpoint, 0),
            (ObjectType::Notification, 0),
            (ObjectType::Frame4K, 0),
            (ObjectType::Untyped, 12),
            (ObjectType::CNode, 4),
        ];
        let mut memory = Memory { dirty: vec![true; (1usize << UT_BITS) / 16] };
        let mut ut = Cap::Untyped {
            paddr: 0x4000_0000,
            size_bits: UT_BITS,
            free_index: 0,
            is_device: false,
            zeroed_to: 0,
        };
        let mut live = 0u64;
        for (kind, count, delete_all, budget) in ops {
            if delete_all == 1 && kind == 0 {
                live = 0;
                continue;
            }
            let (t, size_bits) = types[kind];
            let has_children = live > 0;
            let Ok(mut plan) = plan_retype(&ut, has_children, t, size_bits, count) else {
                continue;
            };
            // Kernel entries until the objects are made.
            loop {
                if let Some((from, to)) = plan.dirty_range(&ut) {
                    let stop = to.min(from + budget);
                    memory.set(from, stop, false);
                    if stop < to {
                        ut = plan.partly_zeroed(&ut, stop);
                        plan = plan_retype(&ut, has_children, t, size_bits, count)
                            .expect("a restarted Retype plans again");
                        continue;
                    }
                }
                break;
            }
            let offset = plan.first_paddr - 0x4000_0000;
            if t != ObjectType::Untyped {
                prop_assert!(
                    memory.all_zero(offset, plan.new_free_index),
                    "{t:?} x{count} made over dirty memory at {offset:#x}..{:#x}",
                    plan.new_free_index
                );
            }
            memory.set(offset, plan.new_free_index, true);
            ut = plan.updated_untyped(&ut);
            prop_assert!(ut.is_well_formed(), "{ut:?}");
            live += count;
        }
    }
}
