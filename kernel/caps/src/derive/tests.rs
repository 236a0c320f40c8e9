use super::*;
use crate::cap::{FrameSize, Mapping, PtMapping};
use crate::slot::MdbNode;
use tessera_abi::Error;

fn ep(badge: u64) -> Cap {
    Cap::Endpoint {
        paddr: 0x1000,
        badge,
        rights: Rights::ALL,
    }
}

fn ntfn(badge: u64) -> Cap {
    Cap::Notification {
        paddr: 0x1020,
        badge,
        rights: Rights::READ_WRITE,
    }
}

fn cnode(radix_bits: u8) -> Cap {
    Cap::CNode {
        paddr: 0x10_0000,
        radix_bits,
        guard_bits: 0,
        guard: 0,
    }
}

fn untyped(paddr: u64, size_bits: u8) -> Cap {
    Cap::Untyped {
        paddr,
        size_bits,
        free_index: 0,
        zeroed_to: 0,
        is_device: false,
    }
}

fn frame(mapping: Option<Mapping>) -> Cap {
    Cap::Frame {
        paddr: 0x2000,
        size: FrameSize::Small,
        rights: Rights::ALL,
        is_device: false,
        mapping,
    }
}

fn slot(cap: Cap, revocable: bool, first_badged: bool) -> Slot {
    Slot {
        cap,
        mdb: MdbNode {
            prev: 0,
            next: 0,
            revocable,
            first_badged,
        },
    }
}

const ILLEGAL: Result<Cap, SyscallError> = Err(SyscallError::plain(Error::IllegalOperation));

#[test]
fn derive_rules() {
    assert_eq!(derive(&Cap::Null), ILLEGAL);
    assert_eq!(derive(&Cap::IrqControl), ILLEGAL);
    assert_eq!(
        derive(&Cap::Reply {
            tcb: 0x800,
            master: false,
            can_grant: true
        }),
        ILLEGAL
    );
    let mapped = frame(Some(Mapping {
        asid: 4,
        vaddr: 0x40_0000,
    }));
    assert_eq!(derive(&mapped), Ok(frame(None)));
    assert_eq!(derive(&frame(None)), Ok(frame(None)));
    assert_eq!(
        derive(&Cap::PageTable {
            paddr: 0,
            mapping: None
        }),
        ILLEGAL
    );
    let pt = Cap::PageTable {
        paddr: 0,
        mapping: Some(PtMapping {
            asid: 1,
            vaddr: 0,
            level: 3,
        }),
    };
    assert_eq!(derive(&pt), Ok(pt));
    assert_eq!(
        derive(&Cap::VSpace {
            paddr: 0,
            asid: None
        }),
        ILLEGAL
    );
    assert_eq!(
        derive(&Cap::VSpace {
            paddr: 0,
            asid: Some(2)
        }),
        Ok(Cap::VSpace {
            paddr: 0,
            asid: Some(2)
        })
    );
    let ut = Cap::Untyped {
        paddr: 0,
        size_bits: 20,
        free_index: 4096,
        zeroed_to: 0,
        is_device: true,
    };
    assert_eq!(derive(&ut), Ok(ut));
    for c in [
        ep(3),
        ntfn(0),
        cnode(4),
        Cap::Tcb { paddr: 0 },
        Cap::AsidControl,
        Cap::IrqHandler { irq: 5 },
    ] {
        assert_eq!(derive(&c), Ok(c));
    }
}

#[test]
fn rights_only_shrink() {
    let c = mint(&ep(0), Rights::READ | Rights::GRANT, 0).unwrap();
    assert_eq!(c.rights(), Some(Rights::READ | Rights::GRANT));
    let weak = Cap::Endpoint {
        paddr: 0x1000,
        badge: 0,
        rights: Rights::READ,
    };
    assert_eq!(
        mint(&weak, Rights::ALL, 0).unwrap().rights(),
        Some(Rights::READ)
    );
    assert_eq!(
        copy(&frame(None), Rights::READ).unwrap().rights(),
        Some(Rights::READ)
    );
    // Capabilities without rights ignore the mask.
    assert_eq!(copy(&cnode(4), Rights::empty()), Ok(cnode(4)));
    let reply = Cap::Reply {
        tcb: 0x800,
        master: false,
        can_grant: true,
    };
    assert_eq!(
        mask_rights(&reply, Rights::READ),
        Cap::Reply {
            tcb: 0x800,
            master: false,
            can_grant: false
        }
    );
    assert_eq!(mask_rights(&reply, Rights::GRANT), reply);
}

#[test]
fn mint_badges_only_unbadged_caps() {
    assert_eq!(mint(&ep(0), Rights::ALL, 42).unwrap().badge(), Some(42));
    assert_eq!(
        mint(&ntfn(0), Rights::ALL, u64::MAX).unwrap().badge(),
        Some(u64::MAX)
    );
    assert_eq!(mint(&ep(0), Rights::ALL, 0).unwrap().badge(), Some(0));
    assert_eq!(mint(&ep(5), Rights::ALL, 5), Ok(ep(5)));
    assert_eq!(mint(&ep(5), Rights::ALL, 6), ILLEGAL);
    assert_eq!(mint(&ntfn(5), Rights::ALL, 0), ILLEGAL);
    // Data is ignored by types without badge or guard.
    assert_eq!(
        mint(&Cap::Tcb { paddr: 0 }, Rights::ALL, 77),
        Ok(Cap::Tcb { paddr: 0 })
    );
    assert_eq!(mint(&Cap::IrqControl, Rights::ALL, 1), ILLEGAL);
}

#[test]
fn mint_sets_cnode_guards() {
    let data = 3 | (5 << GUARD_SIZE_BITS);
    let c = mint(&cnode(8), Rights::empty(), data).unwrap();
    assert_eq!(
        c,
        Cap::CNode {
            paddr: 0x10_0000,
            radix_bits: 8,
            guard_bits: 3,
            guard: 5
        }
    );
    // Zero data clears the guard.
    assert_eq!(mint(&c, Rights::ALL, 0), Ok(cnode(8)));
    // Size + radix up to 64 is fine; 56 + 8 = 64.
    assert!(mint(&cnode(8), Rights::ALL, 56).is_ok());
    assert_eq!(
        mint(&cnode(8), Rights::ALL, 57),
        Err(SyscallError::range(0, 56))
    );
    assert_eq!(
        mint(&cnode(8), Rights::ALL, 63),
        Err(SyscallError::range(0, 56))
    );
    // A value that does not fit the size.
    assert_eq!(
        mint(&cnode(8), Rights::ALL, 2 | (4 << 6)),
        Err(SyscallError::range(0, 3))
    );
    assert_eq!(
        mint(&cnode(8), Rights::ALL, 1 << 6),
        Err(SyscallError::range(0, 0))
    );
    let widest = (1u64 << 56) - 1;
    assert_eq!(
        cnode_guard_from_data(8, 56 | (widest << 6)),
        Ok((56, widest))
    );
    assert_eq!(
        cnode_guard_from_data(8, 56 | (u64::MAX << 6)),
        Err(SyscallError::range(0, widest))
    );
}

#[test]
fn mutate_rules() {
    assert_eq!(mutate(&Cap::Null, 0), ILLEGAL);
    assert_eq!(mutate(&ep(0), 9), ILLEGAL);
    assert_eq!(mutate(&ep(0), 0), Ok(ep(0)));
    assert_eq!(mutate(&ep(4), 4), Ok(ep(4)));
    assert_eq!(mutate(&ntfn(4), 0), ILLEGAL);
    let reply = Cap::Reply {
        tcb: 0x800,
        master: false,
        can_grant: true,
    };
    assert_eq!(mutate(&reply, 123), Ok(reply));
    let pt = Cap::PageTable {
        paddr: 0,
        mapping: None,
    };
    assert_eq!(mutate(&pt, 1), Ok(pt));
    let c = mutate(&cnode(10), 2 | (1 << 6)).unwrap();
    assert_eq!(
        c,
        Cap::CNode {
            paddr: 0x10_0000,
            radix_bits: 10,
            guard_bits: 2,
            guard: 1
        }
    );
    assert_eq!(mutate(&cnode(10), 55), Err(SyscallError::range(0, 54)));
}

#[test]
fn revocability() {
    assert!(is_revocable(&ep(3), &ep(0)));
    assert!(!is_revocable(&ep(0), &ep(0)));
    assert!(!is_revocable(&ep(3), &ep(3)));
    assert!(is_revocable(&ntfn(1), &ntfn(0)));
    assert!(!is_revocable(&ntfn(1), &ntfn(1)));
    assert!(is_revocable(&ep(0), &untyped(0, 12)));
    assert!(is_revocable(&Cap::IrqHandler { irq: 3 }, &Cap::IrqControl));
    assert!(!is_revocable(
        &Cap::IrqHandler { irq: 3 },
        &Cap::IrqHandler { irq: 3 }
    ));
    assert!(is_revocable(&untyped(0, 12), &untyped(0, 12)));
    assert!(!is_revocable(&cnode(3), &cnode(3)));
    assert!(!is_revocable(&frame(None), &frame(None)));
    assert!(!is_revocable(&Cap::Tcb { paddr: 0 }, &untyped(0, 12)));
}

#[test]
fn regions() {
    let ut = untyped(0x10_0000, 20);
    assert!(same_region_as(&ut, &cnode(4)));
    assert!(same_region_as(&ut, &untyped(0x10_0000, 20)));
    assert!(same_region_as(&ut, &untyped(0x1f_fff0, 4)));
    assert!(!same_region_as(&ut, &untyped(0x1f_fff0, 5)));
    assert!(!same_region_as(&ut, &untyped(0x0f_fff0, 4)));
    assert!(!same_region_as(&ut, &untyped(0, 21)));
    assert!(same_region_as(
        &ut,
        &Cap::AsidPool {
            paddr: 0x10_1000,
            base: 0
        }
    ));
    assert!(!same_region_as(&ut, &Cap::IrqHandler { irq: 1 }));
    assert!(!same_region_as(
        &ut,
        &Cap::Reply {
            tcb: 0x10_0800,
            master: true,
            can_grant: true
        }
    ));
    assert!(!same_region_as(&ut, &Cap::Null));
    assert!(same_region_as(
        &Cap::IrqControl,
        &Cap::IrqHandler { irq: 1 }
    ));
    assert!(same_region_as(&Cap::IrqControl, &Cap::IrqControl));
    assert!(!same_region_as(
        &Cap::IrqHandler { irq: 1 },
        &Cap::IrqControl
    ));
    assert!(same_region_as(
        &Cap::AsidControl,
        &Cap::AsidPool { paddr: 0, base: 0 }
    ));
    assert!(!same_region_as(&Cap::AsidControl, &Cap::IrqControl));
    assert!(same_region_as(&ep(0), &ep(7)));
    assert!(!same_region_as(&ep(0), &ntfn(0)));
    assert!(!same_region_as(&Cap::Null, &Cap::Null));
    assert!(!same_region_as(&cnode(4), &untyped(0x10_0000, 10)));
}

#[test]
fn objects() {
    assert!(same_object_as(
        &untyped(0, 12),
        &Cap::Untyped {
            paddr: 0,
            size_bits: 12,
            free_index: 64,
            zeroed_to: 0,
            is_device: false
        }
    ));
    assert!(!same_object_as(&untyped(0, 12), &untyped(0, 13)));
    assert!(!same_object_as(&untyped(0, 12), &Cap::Tcb { paddr: 0 }));
    assert!(same_object_as(
        &cnode(4),
        &Cap::CNode {
            paddr: 0x10_0000,
            radix_bits: 4,
            guard_bits: 2,
            guard: 1
        }
    ));
    assert!(!same_object_as(&cnode(4), &cnode(5)));
    assert!(same_object_as(
        &frame(None),
        &frame(Some(Mapping { asid: 1, vaddr: 0 }))
    ));
    let big = Cap::Frame {
        paddr: 0x2000,
        size: FrameSize::Large,
        rights: Rights::ALL,
        is_device: false,
        mapping: None,
    };
    assert!(!same_object_as(&frame(None), &big));
    assert!(same_object_as(&ep(1), &ep(2)));
    assert!(!same_object_as(
        &ep(1),
        &Cap::Endpoint {
            paddr: 0x1020,
            badge: 1,
            rights: Rights::ALL
        }
    ));
    assert!(!same_object_as(
        &Cap::IrqControl,
        &Cap::IrqHandler { irq: 1 }
    ));
    assert!(same_object_as(
        &Cap::IrqHandler { irq: 1 },
        &Cap::IrqHandler { irq: 1 }
    ));
    assert!(!same_object_as(
        &Cap::IrqHandler { irq: 1 },
        &Cap::IrqHandler { irq: 2 }
    ));
    assert!(same_object_as(&Cap::AsidControl, &Cap::AsidControl));
    assert!(!same_object_as(
        &Cap::AsidControl,
        &Cap::AsidPool { paddr: 0, base: 0 }
    ));
    let r = Cap::Reply {
        tcb: 0x800,
        master: true,
        can_grant: true,
    };
    assert!(same_object_as(
        &r,
        &Cap::Reply {
            tcb: 0x800,
            master: false,
            can_grant: false
        }
    ));
    assert!(!same_object_as(
        &r,
        &Cap::Reply {
            tcb: 0x1000,
            master: true,
            can_grant: true
        }
    ));
    assert!(!same_object_as(&Cap::Null, &Cap::Null));
    assert!(same_object_as(
        &Cap::VSpace {
            paddr: 0,
            asid: None
        },
        &Cap::VSpace {
            paddr: 0,
            asid: Some(1)
        }
    ));
    assert!(!same_object_as(
        &Cap::VSpace {
            paddr: 0,
            asid: None
        },
        &Cap::PageTable {
            paddr: 0,
            mapping: None
        }
    ));
}

#[test]
fn parenthood() {
    let ut = slot(untyped(0, 20), true, true);
    let obj = slot(ep(0), true, true);
    assert!(is_mdb_parent_of(&ut, &obj));
    assert!(!is_mdb_parent_of(&slot(untyped(0, 20), false, false), &obj));
    assert!(!is_mdb_parent_of(&obj, &ut));
    // An unbadged endpoint is the parent of every capability to it.
    assert!(is_mdb_parent_of(&obj, &slot(ep(5), true, true)));
    assert!(is_mdb_parent_of(&obj, &slot(ep(0), false, false)));
    // A badged one only of same-badge copies that were not badged themselves.
    let b5 = slot(ep(5), true, true);
    assert!(is_mdb_parent_of(&b5, &slot(ep(5), false, false)));
    assert!(!is_mdb_parent_of(&b5, &slot(ep(5), true, true)));
    assert!(!is_mdb_parent_of(&b5, &slot(ep(6), false, false)));
    let n5 = slot(ntfn(5), true, true);
    assert!(is_mdb_parent_of(&n5, &slot(ntfn(5), false, false)));
    assert!(!is_mdb_parent_of(&n5, &slot(ntfn(5), false, true)));
    assert!(is_mdb_parent_of(
        &slot(Cap::IrqControl, true, true),
        &slot(Cap::IrqHandler { irq: 4 }, true, true)
    ));
    assert!(!is_mdb_parent_of(
        &slot(cnode(4), true, true),
        &slot(cnode(5), false, false)
    ));
}

fn zombie(paddr: u64) -> Cap {
    Cap::Zombie {
        paddr,
        kind: crate::ZombieKind::CNode { radix_bits: 4 },
        pending: 3,
    }
}

#[test]
fn zombies_cannot_be_copied_minted_or_mutated() {
    let z = zombie(0x10_0000);
    for r in [
        derive(&z),
        copy(&z, Rights::ALL),
        mint(&z, Rights::ALL, 0),
        mutate(&z, 0),
    ] {
        assert_eq!(r.map_err(|e| e.error), Err(Error::IllegalOperation));
    }
    assert!(!is_revocable(&z, &cnode(4)));
}

#[test]
fn a_zombie_stays_a_child_of_its_untyped_and_has_none() {
    let z = zombie(0x10_0000);
    let ut = untyped(0x10_0000, 16);
    assert!(same_region_as(&ut, &z));
    assert!(!same_region_as(&untyped(0x20_0000, 16), &z));
    assert!(is_mdb_parent_of(
        &slot(ut, true, true),
        &slot(z, true, true)
    ));
    // A zombie is the only capability to its object and the parent of
    // nothing, even with the revocable flag of the original it replaced.
    assert!(!same_region_as(&z, &z));
    assert!(!same_region_as(&z, &cnode(4)));
    assert!(!is_mdb_parent_of(
        &slot(z, true, true),
        &slot(cnode(4), false, false)
    ));
    assert!(same_object_as(
        &z,
        &Cap::Zombie {
            paddr: 0x10_0000,
            kind: crate::ZombieKind::CNode { radix_bits: 4 },
            pending: 0,
        }
    ));
    assert!(!same_object_as(&z, &zombie(0x20_0000)));
    assert!(!same_object_as(&z, &cnode(4)));
    assert!(!same_object_as(&cnode(4), &z));
    assert!(!same_object_as(
        &z,
        &Cap::Zombie {
            paddr: 0x10_0000,
            kind: crate::ZombieKind::Tcb,
            pending: 0,
        }
    ));
}
