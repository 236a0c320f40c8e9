use super::*;
use tessera_abi::Rights;

fn ut(free_index: u64, is_device: bool) -> Cap {
    Cap::Untyped {
        paddr: 0x4000_0000,
        size_bits: 16,
        free_index,
        zeroed_to: 0,
        is_device,
    }
}

#[test]
fn first_retype_starts_at_the_base() {
    let p = plan_retype(&ut(0, false), false, ObjectType::Endpoint, 0, 4).unwrap();
    assert_eq!(p.first_paddr, 0x4000_0000);
    assert_eq!(p.object_bits, 5);
    assert_eq!(p.new_free_index, 128);
    assert!(p.reset);
    assert_eq!(p.object_paddr(3), Some(0x4000_0060));
    assert_eq!(p.object_paddr(4), None);
    assert_eq!(
        p.cap_for(1),
        Some(Cap::Endpoint {
            paddr: 0x4000_0020,
            badge: 0,
            rights: Rights::ALL
        })
    );
    assert_eq!(
        p.updated_untyped(&ut(0, false)),
        Cap::Untyped {
            paddr: 0x4000_0000,
            size_bits: 16,
            free_index: 128,
            zeroed_to: 128,
            is_device: false
        }
    );
}

fn marked(free_index: u64, zeroed_to: u64) -> Cap {
    Cap::Untyped {
        paddr: 0x4000_0000,
        size_bits: 16,
        free_index,
        zeroed_to,
        is_device: false,
    }
}

#[test]
fn memory_not_known_zero_is_dirty() {
    // Nothing known: all of the objects.
    let p = plan_retype(&marked(0x40, 0), true, ObjectType::Endpoint, 0, 2).unwrap();
    assert_eq!(p.dirty_range(&marked(0x40, 0)), Some((0x40, 0x80)));
    // Zero up to 0x60 already: the rest only.
    assert_eq!(p.dirty_range(&marked(0x40, 0x60)), Some((0x60, 0x80)));
    // Zero beyond the objects: nothing, and the mark stays above them.
    assert_eq!(p.dirty_range(&marked(0x40, 0x100)), None);
    assert_eq!(p.updated_untyped(&marked(0x40, 0x100)), marked(0x80, 0x100));
}

#[test]
fn a_reset_over_old_objects_knows_nothing_zero() {
    // No children, watermark 0x200: the old objects are dirty, whatever
    // the mark said about the memory above them.
    let p = plan_retype(&marked(0x200, 0x400), false, ObjectType::Endpoint, 0, 1).unwrap();
    assert!(p.reset);
    assert_eq!(p.dirty_range(&marked(0x200, 0x400)), Some((0, 0x20)));
    assert_eq!(p.updated_untyped(&marked(0x200, 0x400)), marked(0x20, 0x20));
}

#[test]
fn a_preempted_retype_carries_on_from_its_mark() {
    let big = |free_index, zeroed_to| Cap::Untyped {
        paddr: 0x4000_0000,
        size_bits: 24,
        free_index,
        zeroed_to,
        is_device: false,
    };
    // A 4 MiB frame over old objects (a reset): zeroed in two steps.
    let p = plan_retype(&big(0x1000, 0), false, ObjectType::Frame2M, 0, 2).unwrap();
    assert_eq!(p.dirty_range(&big(0x1000, 0)), Some((0, 0x40_0000)));
    let after_one = p.partly_zeroed(&big(0x1000, 0), 0x20_0000);
    assert_eq!(after_one, big(0, 0x20_0000));
    // The restarted call plans again on the updated capability.
    let p = plan_retype(&after_one, false, ObjectType::Frame2M, 0, 2).unwrap();
    assert_eq!(p.dirty_range(&after_one), Some((0x20_0000, 0x40_0000)));
    assert_eq!(p.updated_untyped(&after_one), big(0x40_0000, 0x40_0000));
}

#[test]
fn untyped_objects_and_device_memory_are_not_zeroed() {
    let p = plan_retype(&marked(0, 0), true, ObjectType::Untyped, 12, 2).unwrap();
    assert_eq!(p.dirty_range(&marked(0, 0)), None);
    let dev = ut(0, true);
    let p = plan_retype(&dev, false, ObjectType::Frame4K, 0, 1).unwrap();
    assert_eq!(p.dirty_range(&dev), None);
    assert!(matches!(
        p.updated_untyped(&dev),
        Cap::Untyped { zeroed_to: 0, .. }
    ));
}

#[test]
fn objects_are_aligned_after_the_watermark() {
    let p = plan_retype(&ut(0x20, false), true, ObjectType::Tcb, 0, 2).unwrap();
    assert_eq!(p.first_paddr, 0x4000_0800);
    assert_eq!(p.new_free_index, 0x1800);
    assert!(!p.reset);
}

#[test]
fn watermark_restarts_without_children() {
    let p = plan_retype(&ut(0x1_0000, false), false, ObjectType::Frame4K, 0, 16).unwrap();
    assert_eq!(p.first_paddr, 0x4000_0000);
    assert_eq!(p.new_free_index, 0x1_0000);
    let full = plan_retype(&ut(0x1_0000, false), true, ObjectType::Endpoint, 0, 1);
    assert_eq!(full, Err(SyscallError::not_enough_memory(0)));
}

#[test]
fn not_enough_memory_reports_bytes_available() {
    // 0x1000 bytes used; 0xf000 left, but 16 pages need 0x10000.
    let e = plan_retype(&ut(0x1000, false), true, ObjectType::Frame4K, 0, 16);
    assert_eq!(e, Err(SyscallError::not_enough_memory(0xf000)));
    // Alignment waste counts: 0x10 used, 15 pages fit after rounding up.
    assert!(plan_retype(&ut(0x10, false), true, ObjectType::Frame4K, 0, 15).is_ok());
    assert!(plan_retype(&ut(0x10, false), true, ObjectType::Frame4K, 0, 16).is_err());
    // Larger than the whole untyped.
    let e = plan_retype(&ut(0, false), false, ObjectType::Frame2M, 0, 1);
    assert_eq!(e, Err(SyscallError::not_enough_memory(0x1_0000)));
    let e = plan_retype(&ut(0, false), false, ObjectType::Untyped, 17, 1);
    assert_eq!(e, Err(SyscallError::not_enough_memory(0x1_0000)));
}

#[test]
fn the_whole_region_as_one_object() {
    let p = plan_retype(&ut(0, false), false, ObjectType::Untyped, 16, 1).unwrap();
    assert_eq!(p.new_free_index, 0x1_0000);
    assert_eq!(
        p.cap_for(0),
        Some(Cap::Untyped {
            paddr: 0x4000_0000,
            size_bits: 16,
            free_index: 0,
            zeroed_to: 0,
            is_device: false
        })
    );
}

#[test]
fn size_argument_rules() {
    assert_eq!(size_bits_range(ObjectType::Untyped), Some((4, 47)));
    assert_eq!(size_bits_range(ObjectType::CNode), Some((1, 28)));
    assert_eq!(size_bits_range(ObjectType::Tcb), None);
    let range = |t, s| plan_retype(&ut(0, false), false, t, s, 1);
    assert_eq!(range(ObjectType::CNode, 0), Err(SyscallError::range(1, 28)));
    assert_eq!(
        range(ObjectType::CNode, 29),
        Err(SyscallError::range(1, 28))
    );
    assert_eq!(
        range(ObjectType::CNode, 256 + 4),
        Err(SyscallError::range(1, 28))
    );
    assert_eq!(
        range(ObjectType::Untyped, 3),
        Err(SyscallError::range(4, 47))
    );
    assert_eq!(
        range(ObjectType::Untyped, u64::MAX),
        Err(SyscallError::range(4, 47))
    );
    // Fixed-size types ignore the argument.
    assert!(range(ObjectType::Notification, u64::MAX).is_ok());
    let p = range(ObjectType::CNode, 4).unwrap();
    assert_eq!(p.object_bits, 10);
    assert_eq!(
        p.cap_for(0),
        Some(Cap::CNode {
            paddr: 0x4000_0000,
            radix_bits: 4,
            guard_bits: 0,
            guard: 0
        })
    );
}

#[test]
fn count_rules() {
    let e = Err(SyscallError::range(1, RETYPE_FAN_OUT_LIMIT));
    assert_eq!(
        plan_retype(&ut(0, false), false, ObjectType::Endpoint, 0, 0),
        e
    );
    assert_eq!(
        plan_retype(&ut(0, false), false, ObjectType::Endpoint, 0, 257),
        e
    );
    assert!(plan_retype(&ut(0, false), false, ObjectType::Endpoint, 0, 256).is_ok());
    assert_eq!(
        plan_retype(&ut(0, false), false, ObjectType::Endpoint, 0, u64::MAX),
        e
    );
}

#[test]
fn device_memory_holds_only_frames_and_untypeds() {
    let dev = ut(0, true);
    for t in ObjectType::ALL {
        let size = if t == ObjectType::CNode { 1 } else { 4 };
        let r = plan_retype(&dev, false, t, size, 1);
        if t.allowed_in_device_memory() && t != ObjectType::Frame2M && t != ObjectType::Frame1G {
            let p = r.unwrap();
            assert!(p.is_device);
            assert_eq!(p.cap_for(0).and_then(|c| c.object_type()), Some(t));
        } else if !t.allowed_in_device_memory() {
            assert_eq!(r, Err(SyscallError::invalid_argument(ARG_TYPE)), "{t:?}");
        }
    }
    let p = plan_retype(&dev, false, ObjectType::Frame4K, 0, 1).unwrap();
    assert!(matches!(
        p.cap_for(0),
        Some(Cap::Frame {
            is_device: true,
            ..
        })
    ));
}

#[test]
fn only_untyped_caps_retype() {
    let e = plan_retype(&Cap::Tcb { paddr: 0 }, false, ObjectType::Endpoint, 0, 1);
    assert_eq!(e, Err(SyscallError::plain(Error::InvalidCapability)));
    assert_eq!(parse_object_type(9), Ok(ObjectType::VSpace));
    assert_eq!(
        parse_object_type(10),
        Err(SyscallError::invalid_argument(0))
    );
}

#[test]
fn new_caps_for_every_type() {
    for t in ObjectType::ALL {
        let size = match t {
            ObjectType::CNode => 3,
            ObjectType::Untyped => 12,
            _ => 0,
        };
        let bits = t.object_bits(size).unwrap();
        let paddr = 1u64 << 30;
        let cap = new_object_cap(t, paddr, size, false).unwrap();
        assert!(cap.is_well_formed(), "{cap:?}");
        assert_eq!(cap.object_type(), Some(t));
        assert_eq!(cap.object_size_bits(), Some(bits));
        assert_eq!(cap.paddr(), Some(paddr));
    }
    assert_eq!(new_object_cap(ObjectType::CNode, 0, 0, false), None);
    assert_eq!(new_object_cap(ObjectType::Untyped, 0, 2, false), None);
}
