//! The word layout of a slot, for the kernel's IPC fastpath, which reads
//! and writes a few slot words directly instead of decoding whole slots.
//! Everything here agrees with [`Cap::encode`]/[`Slot::encode`]; the tests
//! check that on every well-formed capability.

use tessera_abi::Rights;

use crate::cap;

/// Index of the `prev` link in a slot's eight words.
pub const PREV: usize = 4;
/// Index of the `next` link.
pub const NEXT: usize = 5;
/// Index of the flag word (bit 0 revocable, bit 1 first badged).
pub const FLAGS: usize = 6;

const TAG_MASK: u64 = 0xff;

/// Whether the words hold no capability.
#[inline]
pub fn is_null(words: &[u64; 4]) -> bool {
    words[0] & TAG_MASK == u64::from(cap::tag::NULL)
}

/// An endpoint capability's (paddr, badge, rights).
#[inline]
pub fn endpoint(words: &[u64; 4]) -> Option<(u64, u64, Rights)> {
    (words[0] & TAG_MASK == u64::from(cap::tag::ENDPOINT)).then(|| {
        (
            words[1],
            words[2],
            Rights::from_bits_truncate((words[0] >> 48) & 0xff),
        )
    })
}

/// A CNode capability that decodes a whole capability pointer in one level
/// (see `flag::ONE_LEVEL`): its (paddr, radix_bits, guard). The guard then
/// has `64 - radix_bits` bits, so a pointer `p` names slot `p` modulo
/// 2^radix_bits exactly when `p >> radix_bits == guard`.
#[inline]
pub fn one_level_cnode(words: &[u64; 4]) -> Option<(u64, u8, u64)> {
    const ONE_LEVEL: u64 = (cap::flag::ONE_LEVEL as u64) << 24;
    // Two tests, not one masked compare: the tag-and-flag mask is no
    // logical immediate, and building it costs more than a bit test.
    (words[0] & TAG_MASK == u64::from(cap::tag::CNODE) && words[0] & ONE_LEVEL != 0)
        .then(|| (words[1], (words[0] >> 8) as u8, words[2]))
}

/// A reply capability's (tcb, master, can_grant).
#[inline]
pub fn reply(words: &[u64; 4]) -> Option<(u64, bool, bool)> {
    let flags = (words[0] >> 24) as u8;
    (words[0] & TAG_MASK == u64::from(cap::tag::REPLY)).then_some((
        words[1],
        flags & cap::flag::MASTER != 0,
        flags & cap::flag::GRANT != 0,
    ))
}

/// The object a capability of tag `tag` refers to (word 1), if the words
/// hold one of that tag. The kernel checks with it that a TCB's VSpace or
/// IPC-buffer slot still holds the capability its cached values came from.
#[inline]
pub fn object_of(words: &[u64; 4], tag: u64) -> Option<u64> {
    (words[0] & TAG_MASK == tag).then_some(words[1])
}

/// The words of a one-shot reply capability to `tcb` (built directly:
/// going through `Cap::encode` costs the fastpath dozens of instructions).
#[inline]
pub const fn one_shot_reply(tcb: u64, can_grant: bool) -> [u64; 4] {
    let flags = if can_grant { cap::flag::GRANT } else { 0 };
    [cap::tag::REPLY as u64 | (flags as u64) << 24, tcb, 0, 0]
}

/// Word 0's fields as numbers, for the Call fastpath, which is written in
/// assembly (kernel/src/fastpath/call.rs). The tests tie each to
/// [`Cap::encode`](crate::Cap::encode).
pub mod word0 {
    use crate::cap::{flag, tag};

    /// The tag is the low byte.
    pub const TAG_MASK: u64 = 0xff;
    /// The tag of an endpoint capability.
    pub const TAG_ENDPOINT: u64 = tag::ENDPOINT as u64;
    /// The tag of a reply capability.
    pub const TAG_REPLY: u64 = tag::REPLY as u64;
    /// The tag of a CNode capability.
    pub const TAG_CNODE: u64 = tag::CNODE as u64;
    /// The tag of a frame capability.
    pub const TAG_FRAME: u64 = tag::FRAME as u64;
    /// The tag of a VSpace capability.
    pub const TAG_VSPACE: u64 = tag::VSPACE as u64;
    /// A CNode's radix is the byte at this bit.
    pub const RADIX_SHIFT: u32 = 8;
    /// Flags start at bit 24.
    const FLAGS_SHIFT: u32 = 24;
    /// The bit of a CNode that decodes a whole pointer in one level.
    pub const CNODE_ONE_LEVEL_BIT: u32 = FLAGS_SHIFT + flag::ONE_LEVEL.trailing_zeros();
    /// The bit of a master reply capability.
    pub const REPLY_MASTER_BIT: u32 = FLAGS_SHIFT + flag::MASTER.trailing_zeros();
    /// Word 0 of a one-shot reply capability that can grant, less the tag.
    pub const REPLY_GRANT: u64 = (flag::GRANT as u64) << FLAGS_SHIFT;
    /// An endpoint capability's rights (`tessera_abi::Rights` bits) start
    /// at this bit.
    pub const RIGHTS_SHIFT: u32 = 48;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::Cap;

    fn caps() -> [Cap; 10] {
        [
            Cap::Null,
            Cap::Endpoint {
                paddr: 0x4000_0020,
                badge: 7,
                rights: Rights::WRITE | Rights::GRANT,
            },
            Cap::Endpoint {
                paddr: 0x4000_0040,
                badge: 0,
                rights: Rights::ALL,
            },
            Cap::CNode {
                paddr: 0x4010_0000,
                radix_bits: 12,
                guard_bits: 52,
                guard: 0,
            },
            // Two levels' worth: not one-level.
            Cap::CNode {
                paddr: 0x4010_0000,
                radix_bits: 12,
                guard_bits: 20,
                guard: 5,
            },
            Cap::CNode {
                paddr: 0x4011_0000,
                radix_bits: 4,
                guard_bits: 60,
                guard: 3,
            },
            Cap::Reply {
                tcb: 0x4020_0800,
                master: true,
                can_grant: true,
            },
            Cap::Reply {
                tcb: 0x4020_0800,
                master: false,
                can_grant: false,
            },
            // The fastpaths must take a zombie for none of the above: in a
            // CSpace root, an endpoint's slot or a reply slot, they fall
            // back to the slow path, which refuses it.
            Cap::Zombie {
                paddr: 0x4010_0000,
                kind: crate::ZombieKind::CNode { radix_bits: 12 },
                pending: 4096,
            },
            Cap::Zombie {
                paddr: 0x4020_0800,
                kind: crate::ZombieKind::Tcb,
                pending: 1,
            },
        ]
    }

    #[test]
    fn accessors_agree_with_the_encoding() {
        for c in caps() {
            assert!(c.is_well_formed(), "{c:?}");
            let w = c.encode();
            assert_eq!(is_null(&w), c.is_null());
            let e = match c {
                Cap::Endpoint {
                    paddr,
                    badge,
                    rights,
                } => Some((paddr, badge, rights)),
                _ => None,
            };
            assert_eq!(endpoint(&w), e);
            let n = match c {
                Cap::CNode {
                    paddr,
                    radix_bits,
                    guard_bits,
                    guard,
                } if radix_bits > 0 && radix_bits + guard_bits == 64 => {
                    Some((paddr, radix_bits, guard))
                }
                _ => None,
            };
            assert_eq!(one_level_cnode(&w), n);
            let r = match c {
                Cap::Reply {
                    tcb,
                    master,
                    can_grant,
                } => Some((tcb, master, can_grant)),
                _ => None,
            };
            assert_eq!(reply(&w), r);
        }
    }

    #[test]
    fn word0_numbers_agree_with_the_encoding() {
        use word0::*;
        let ep = Cap::Endpoint {
            paddr: 0x4000_0020,
            badge: 7,
            rights: Rights::WRITE | Rights::GRANT_REPLY,
        }
        .encode();
        assert_eq!(ep[0] & TAG_MASK, TAG_ENDPOINT);
        assert_eq!(
            (ep[0] >> RIGHTS_SHIFT) & 0xff,
            (Rights::WRITE | Rights::GRANT_REPLY).bits()
        );
        let cn = Cap::CNode {
            paddr: 0x4010_0000,
            radix_bits: 12,
            guard_bits: 52,
            guard: 0,
        }
        .encode();
        assert_eq!(cn[0] & TAG_MASK, TAG_CNODE);
        assert_eq!((cn[0] >> RADIX_SHIFT) & 0xff, 12);
        assert_ne!(cn[0] & (1 << CNODE_ONE_LEVEL_BIT), 0);
        let master = Cap::Reply {
            tcb: 0x4020_0800,
            master: true,
            can_grant: false,
        }
        .encode();
        assert_eq!(master[0] & TAG_MASK, TAG_REPLY);
        assert_ne!(master[0] & (1 << REPLY_MASTER_BIT), 0);
        let granting = Cap::Reply {
            tcb: 0x4020_0800,
            master: false,
            can_grant: true,
        }
        .encode();
        assert_eq!(granting[0], TAG_REPLY | REPLY_GRANT);
        let vs = Cap::VSpace {
            paddr: 0x4030_0000,
            asid: Some(3),
        }
        .encode();
        assert_eq!(object_of(&vs, TAG_VSPACE), Some(0x4030_0000));
        assert_eq!(object_of(&vs, TAG_FRAME), None);
        assert_eq!(object_of(&Cap::Null.encode(), TAG_VSPACE), None);
        let zombie = Cap::Zombie {
            paddr: 0x4010_0000,
            kind: crate::ZombieKind::CNode { radix_bits: 12 },
            pending: 1,
        }
        .encode();
        for t in [0, TAG_ENDPOINT, TAG_CNODE, TAG_REPLY] {
            assert_ne!(
                zombie[0] & TAG_MASK,
                t,
                "a zombie's tag is one a fastpath takes"
            );
        }
        assert_eq!(one_shot_reply(0x4020_0800, true), granting);
    }

    #[test]
    fn the_one_level_flag_is_part_of_the_canonical_form() {
        let one = Cap::CNode {
            paddr: 0x4010_0000,
            radix_bits: 12,
            guard_bits: 52,
            guard: 0,
        };
        let mut w = one.encode();
        assert_ne!(w[0] & (u64::from(cap::flag::ONE_LEVEL) << 24), 0);
        w[0] &= !(u64::from(cap::flag::ONE_LEVEL) << 24);
        assert!(
            Cap::decode(&w).is_err(),
            "a one-level CNode without the flag"
        );
        let two = Cap::CNode {
            paddr: 0x4010_0000,
            radix_bits: 12,
            guard_bits: 20,
            guard: 0,
        };
        let mut w = two.encode();
        w[0] |= u64::from(cap::flag::ONE_LEVEL) << 24;
        assert!(Cap::decode(&w).is_err(), "a two-level CNode with the flag");
    }

    #[test]
    fn one_shot_reply_is_the_encoding() {
        for can_grant in [false, true] {
            let cap = Cap::Reply {
                tcb: 0x4020_0800,
                master: false,
                can_grant,
            };
            assert_eq!(one_shot_reply(0x4020_0800, can_grant), cap.encode());
        }
    }

    #[test]
    fn one_shot_reply_decodes() {
        let w = one_shot_reply(0x4020_0800, true);
        assert_eq!(
            Cap::decode(&w),
            Ok(Cap::Reply {
                tcb: 0x4020_0800,
                master: false,
                can_grant: true
            })
        );
    }
}
