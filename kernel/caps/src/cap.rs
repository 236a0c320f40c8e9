//! The capability value and its 32-byte encoding.
//!
//! A CNode slot is 64 bytes (`CNODE_SLOT_BITS` = 6): 32 bytes of capability
//! and 32 bytes of derivation-tree links ([`crate::Slot`]). The capability
//! half is four words:
//!
//! | word | bits | holds |
//! |---|---|---|
//! | 0 | 0–7 | tag (which variant) |
//! | 0 | 8–15 | small field A: untyped size, CNode radix (also a CNode zombie's), frame size, table level |
//! | 0 | 16–23 | small field B: CNode guard size, zombie kind (0 CNode, 1 TCB) |
//! | 0 | 24–31 | flags: device, mapped / has ASID, master, can grant, one-level CNode |
//! | 0 | 32–47 | ASID, ASID pool base or IRQ number |
//! | 0 | 48–55 | rights |
//! | 1 | all | physical address (the TCB's for a reply capability) |
//! | 2 | all | badge, guard, watermark, mapped virtual address or a zombie's pending slots |
//! | 3 | all | an Untyped's zeroed mark; zero (reserved) for the others |
//!
//! Decoding is strict: it accepts exactly the words that [`Cap::encode`]
//! produces for a well-formed capability ([`Cap::is_well_formed`]), so a
//! corrupted slot can never turn into a capability with more authority than
//! the kernel wrote. Anything else is a [`DecodeError`], which the kernel
//! treats as an empty slot.

use tessera_abi::{ObjectType, PAGE_BITS, Rights};

/// Physical addresses have at most this many bits.
pub const PADDR_BITS: u8 = 48;
/// User virtual addresses (`TTBR0_EL2`) have at most this many bits.
pub const VADDR_BITS: u8 = 48;
/// log2 of the number of ASIDs an ASID pool manages.
pub const ASID_POOL_BITS: u8 = 9;
/// log2 of the size of an ASID pool object.
pub const ASID_POOL_OBJECT_BITS: u8 = PAGE_BITS;

/// The size of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameSize {
    /// 4 KiB, a level-3 page.
    Small,
    /// 2 MiB, a level-2 block.
    Large,
    /// 1 GiB, a level-1 block.
    Huge,
}

impl FrameSize {
    /// Every size, smallest first.
    pub const ALL: [FrameSize; 3] = [FrameSize::Small, FrameSize::Large, FrameSize::Huge];

    /// log2 of the size in bytes.
    pub const fn bits(self) -> u8 {
        match self {
            FrameSize::Small => 12,
            FrameSize::Large => 21,
            FrameSize::Huge => 30,
        }
    }

    /// The object type Retype makes frames of this size with.
    pub const fn object_type(self) -> ObjectType {
        match self {
            FrameSize::Small => ObjectType::Frame4K,
            FrameSize::Large => ObjectType::Frame2M,
            FrameSize::Huge => ObjectType::Frame1G,
        }
    }

    /// The size of frames of `t`, if `t` is a frame type.
    pub const fn from_object_type(t: ObjectType) -> Option<FrameSize> {
        match t {
            ObjectType::Frame4K => Some(FrameSize::Small),
            ObjectType::Frame2M => Some(FrameSize::Large),
            ObjectType::Frame1G => Some(FrameSize::Huge),
            _ => None,
        }
    }

    const fn code(self) -> u8 {
        match self {
            FrameSize::Small => 0,
            FrameSize::Large => 1,
            FrameSize::Huge => 2,
        }
    }

    const fn from_code(code: u8) -> Option<FrameSize> {
        match code {
            0 => Some(FrameSize::Small),
            1 => Some(FrameSize::Large),
            2 => Some(FrameSize::Huge),
            _ => None,
        }
    }
}

/// How many capability slots a TCB holds (CSpace root, VSpace, IPC buffer,
/// master reply cap, caller's reply cap): a TCB zombie empties this many.
pub const TCB_SLOT_COUNT: u64 = 5;

/// What a zombie's object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZombieKind {
    /// A CNode of 2^radix_bits slots.
    CNode {
        /// log2 of the number of slots, in the range Retype accepts.
        radix_bits: u8,
    },
    /// A TCB: its [`TCB_SLOT_COUNT`] own slots act as a small CNode.
    Tcb,
}

impl ZombieKind {
    /// The number of slots the object holds.
    pub const fn slot_count(self) -> u64 {
        match self {
            ZombieKind::CNode { radix_bits } => match 1u64.checked_shl(radix_bits as u32) {
                Some(n) => n,
                None => 0,
            },
            ZombieKind::Tcb => TCB_SLOT_COUNT,
        }
    }

    /// log2 of the object's size; None for a radix out of range.
    pub const fn object_bits(self) -> Option<u8> {
        match self {
            ZombieKind::CNode { radix_bits } => ObjectType::CNode.object_bits(radix_bits),
            ZombieKind::Tcb => ObjectType::Tcb.object_bits(0),
        }
    }

    const fn code(self) -> u8 {
        match self {
            ZombieKind::CNode { .. } => 0,
            ZombieKind::Tcb => 1,
        }
    }

    const fn radix(self) -> u8 {
        match self {
            ZombieKind::CNode { radix_bits } => radix_bits,
            ZombieKind::Tcb => 0,
        }
    }
}

/// Where a frame is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The address space.
    pub asid: u16,
    /// The virtual address, aligned to the frame's size, below 2^48.
    pub vaddr: u64,
}

/// Where a page table is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PtMapping {
    /// The address space.
    pub asid: u16,
    /// The base of the virtual range the table translates (aligned to
    /// [`PtMapping::covered_bits`] of its level), below 2^48.
    pub vaddr: u64,
    /// The table's level, 1 to 3 (level 0 is the VSpace root).
    pub level: u8,
}

impl PtMapping {
    /// log2 of the virtual range a table at `level` translates: 2^39 at
    /// level 1, 2^30 at level 2, 2^21 at level 3 (4 KiB granule).
    pub const fn covered_bits(level: u8) -> Option<u8> {
        match level {
            1 => Some(39),
            2 => Some(30),
            3 => Some(21),
            _ => None,
        }
    }
}

/// A capability: what a CNode slot holds.
///
/// Every physical address is below 2^[`PADDR_BITS`] and aligned to the
/// object's size ([`Cap::object_size_bits`]); [`Cap::is_well_formed`]
/// checks this and the other field rules written on each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cap {
    /// An empty slot.
    Null,
    /// A region of untyped memory that Retype makes objects from.
    Untyped {
        /// Base of the region.
        paddr: u64,
        /// log2 of the region's size, `MIN_UNTYPED_BITS..=MAX_UNTYPED_BITS`.
        size_bits: u8,
        /// Bytes used from the start of the region (the watermark), at most
        /// the region's size.
        free_index: u64,
        /// Device memory: only frames and smaller device untypeds.
        is_device: bool,
        /// RAM between the watermark and this offset is known to be zero
        /// (none when it is not above the watermark), so Retype need not
        /// zero it again; at most the region's size, 0 for device memory.
        /// See `RetypePlan::dirty_range`.
        zeroed_to: u64,
    },
    /// A synchronous IPC endpoint.
    Endpoint {
        /// The endpoint object.
        paddr: u64,
        /// Delivered to the receiver with each message; 0 means unbadged.
        badge: u64,
        /// Read = receive, Write = send, Grant, GrantReply.
        rights: Rights,
    },
    /// A notification word.
    Notification {
        /// The notification object.
        paddr: u64,
        /// OR-ed into the word by each signal; 0 means unbadged.
        badge: u64,
        /// Read = wait, Write = signal.
        rights: Rights,
    },
    /// A reply capability (non-MCS): the master one lives in its thread's
    /// TCB; the one-shot one a receiver gets is its child.
    Reply {
        /// Physical address of the TCB to reply to (aligned like a TCB).
        tcb: u64,
        /// Whether this is the thread's master reply capability.
        master: bool,
        /// Whether the reply may transfer capabilities.
        can_grant: bool,
    },
    /// A CNode: 2^radix_bits slots, reached through a guard.
    CNode {
        /// The CNode object.
        paddr: u64,
        /// log2 of the number of slots, in the range Retype accepts for
        /// CNodes.
        radix_bits: u8,
        /// Bits of guard; `guard_bits + radix_bits` ≤ 64.
        guard_bits: u8,
        /// The guard value, below 2^guard_bits.
        guard: u64,
    },
    /// A thread control block.
    Tcb {
        /// The TCB object.
        paddr: u64,
    },
    /// A frame of memory that can be mapped.
    Frame {
        /// The frame, aligned to its size.
        paddr: u64,
        /// 4 KiB, 2 MiB or 1 GiB.
        size: FrameSize,
        /// Read and Write are what a mapping may allow.
        rights: Rights,
        /// Device memory (mapped as such).
        is_device: bool,
        /// Where this capability has mapped the frame, if it has.
        mapping: Option<Mapping>,
    },
    /// A translation table of level 1, 2 or 3.
    PageTable {
        /// The table object.
        paddr: u64,
        /// Where the table is installed, if it is.
        mapping: Option<PtMapping>,
    },
    /// The root (level 0) table of an address space.
    VSpace {
        /// The root table object.
        paddr: u64,
        /// The ASID assigned from a pool, if one is.
        asid: Option<u16>,
    },
    /// Authority to make ASID pools.
    AsidControl,
    /// A pool of 2^[`ASID_POOL_BITS`] ASIDs.
    AsidPool {
        /// The pool object.
        paddr: u64,
        /// The first ASID of the pool, a multiple of 2^ASID_POOL_BITS.
        base: u16,
    },
    /// Authority to claim interrupt lines.
    IrqControl,
    /// One claimed interrupt line.
    IrqHandler {
        /// The interrupt ID.
        irq: u16,
    },
    /// What the last capability to a CNode or TCB becomes while the kernel
    /// empties the object's slots in bounded steps (seL4's Zombie). It
    /// keeps the object alive, and its place in the derivation tree (a
    /// child of the Untyped), until every slot is empty; then the object
    /// is destroyed and the slot emptied. Only the kernel makes and moves
    /// zombies: no invocation uses one, Copy, Mint and Move refuse it, and
    /// a CSpace lookup does not pass through it. See [`crate::delete`].
    Zombie {
        /// The object, aligned to its size.
        paddr: u64,
        /// A CNode (with its radix) or a TCB.
        kind: ZombieKind,
        /// Slots `0..pending` may still hold capabilities; those from
        /// `pending` on are empty. At most the object's slot count.
        pending: u64,
    },
}

/// Why four words are not a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The tag names no variant.
    UnknownTag,
    /// Reserved bits or fields the variant does not use are not zero, or a
    /// small field holds no valid value.
    NonCanonical,
    /// The fields break a rule of the variant (alignment, ranges).
    Invalid,
}

/// Variant tags (word 0, bits 0–7).
pub(crate) mod tag {
    pub const NULL: u8 = 0;
    pub const UNTYPED: u8 = 1;
    pub const ENDPOINT: u8 = 2;
    pub const NOTIFICATION: u8 = 3;
    pub const REPLY: u8 = 4;
    pub const CNODE: u8 = 5;
    pub const TCB: u8 = 6;
    pub const FRAME: u8 = 7;
    pub const PAGE_TABLE: u8 = 8;
    pub const VSPACE: u8 = 9;
    pub const ASID_CONTROL: u8 = 10;
    pub const ASID_POOL: u8 = 11;
    pub const IRQ_CONTROL: u8 = 12;
    pub const IRQ_HANDLER: u8 = 13;
    pub const ZOMBIE: u8 = 14;
}

/// Flag bits (word 0, bits 24–31).
pub(crate) mod flag {
    pub const DEVICE: u8 = 1 << 0;
    pub const MAPPED: u8 = 1 << 1;
    pub const MASTER: u8 = 1 << 2;
    pub const GRANT: u8 = 1 << 3;
    /// On a CNode capability: its radix and guard decode a whole 64-bit
    /// capability pointer in one level (radix > 0, radix + guard = 64).
    /// Derived from the other fields, so a canonical encoding has it
    /// exactly when that holds; the IPC fastpath tests this one bit.
    pub const ONE_LEVEL: u8 = 1 << 4;
}

/// The fields of the encoding, before they are given a meaning.
#[derive(Clone, Copy, Default)]
struct Fields {
    tag: u8,
    a: u8,
    b: u8,
    flags: u8,
    half: u16,
    rights: u8,
    w1: u64,
    w2: u64,
    w3: u64,
}

impl Fields {
    fn pack(self) -> [u64; 4] {
        let w0 = u64::from(self.tag)
            | (u64::from(self.a) << 8)
            | (u64::from(self.b) << 16)
            | (u64::from(self.flags) << 24)
            | (u64::from(self.half) << 32)
            | (u64::from(self.rights) << 48);
        [w0, self.w1, self.w2, self.w3]
    }

    fn unpack(words: &[u64; 4]) -> Fields {
        let [w0, w1, w2, w3] = *words;
        let byte = |shift: u32| (w0.checked_shr(shift).unwrap_or(0) & 0xff) as u8;
        Fields {
            tag: byte(0),
            a: byte(8),
            b: byte(16),
            flags: byte(24),
            half: (w0.checked_shr(32).unwrap_or(0) & 0xffff) as u16,
            rights: byte(48),
            w1,
            w2,
            w3,
        }
    }

    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// The flag byte for a set of booleans.
fn flags(pairs: &[(bool, u8)]) -> u8 {
    pairs
        .iter()
        .fold(0, |acc, &(on, f)| if on { acc | f } else { acc })
}

/// The low byte of a rights set (every defined right fits in it).
fn rights_byte(r: Rights) -> u8 {
    (r.bits() & 0xff) as u8
}

impl Cap {
    /// The four words of a slot's capability half. Total: a malformed
    /// value encodes to words that [`Cap::decode`] rejects.
    pub fn encode(&self) -> [u64; 4] {
        self.fields().pack()
    }

    fn fields(&self) -> Fields {
        let d = Fields::default();
        match *self {
            Cap::Null => d,
            Cap::Untyped {
                paddr,
                size_bits,
                free_index,
                is_device,
                zeroed_to,
            } => Fields {
                tag: tag::UNTYPED,
                a: size_bits,
                flags: flags(&[(is_device, flag::DEVICE)]),
                w1: paddr,
                w2: free_index,
                w3: zeroed_to,
                ..d
            },
            Cap::Endpoint {
                paddr,
                badge,
                rights,
            } => Fields {
                tag: tag::ENDPOINT,
                rights: rights_byte(rights),
                w1: paddr,
                w2: badge,
                ..d
            },
            Cap::Notification {
                paddr,
                badge,
                rights,
            } => Fields {
                tag: tag::NOTIFICATION,
                rights: rights_byte(rights),
                w1: paddr,
                w2: badge,
                ..d
            },
            Cap::Reply {
                tcb,
                master,
                can_grant,
            } => Fields {
                tag: tag::REPLY,
                flags: flags(&[(master, flag::MASTER), (can_grant, flag::GRANT)]),
                w1: tcb,
                ..d
            },
            Cap::CNode {
                paddr,
                radix_bits,
                guard_bits,
                guard,
            } => Fields {
                tag: tag::CNODE,
                flags: flags(&[(
                    radix_bits > 0
                        && u16::from(radix_bits).wrapping_add(u16::from(guard_bits)) == 64,
                    flag::ONE_LEVEL,
                )]),
                a: radix_bits,
                b: guard_bits,
                w1: paddr,
                w2: guard,
                ..d
            },
            Cap::Tcb { paddr } => Fields {
                tag: tag::TCB,
                w1: paddr,
                ..d
            },
            Cap::Frame {
                paddr,
                size,
                rights,
                is_device,
                mapping,
            } => frame_fields(paddr, size, rights, is_device, mapping),
            Cap::PageTable { paddr, mapping } => page_table_fields(paddr, mapping),
            Cap::VSpace { paddr, asid } => Fields {
                tag: tag::VSPACE,
                flags: flags(&[(asid.is_some(), flag::MAPPED)]),
                half: asid.unwrap_or(0),
                w1: paddr,
                ..d
            },
            Cap::AsidControl => Fields {
                tag: tag::ASID_CONTROL,
                ..d
            },
            Cap::AsidPool { paddr, base } => Fields {
                tag: tag::ASID_POOL,
                half: base,
                w1: paddr,
                ..d
            },
            Cap::IrqControl => Fields {
                tag: tag::IRQ_CONTROL,
                ..d
            },
            Cap::IrqHandler { irq } => Fields {
                tag: tag::IRQ_HANDLER,
                half: irq,
                ..d
            },
            Cap::Zombie {
                paddr,
                kind,
                pending,
            } => Fields {
                tag: tag::ZOMBIE,
                a: kind.radix(),
                b: kind.code(),
                w1: paddr,
                w2: pending,
                ..d
            },
        }
    }

    /// Decodes words the kernel wrote itself with [`Cap::encode`] of a
    /// well-formed capability, without the canonical-form and field checks
    /// of [`Cap::decode`] (which cost more than the kernel's fast paths can
    /// afford). For such words it gives exactly what `decode` gives; any
    /// other words still decode without panicking, to some capability or an
    /// error for an unknown tag.
    pub fn decode_trusted(words: &[u64; 4]) -> Result<Cap, DecodeError> {
        Cap::from_fields(&Fields::unpack(words))
    }

    /// Decodes a slot's capability half; see the module documentation for
    /// what is accepted.
    pub fn decode(words: &[u64; 4]) -> Result<Cap, DecodeError> {
        let cap = Cap::from_fields(&Fields::unpack(words))?;
        if cap.encode() != *words {
            return Err(DecodeError::NonCanonical);
        }
        if !cap.is_well_formed() {
            return Err(DecodeError::Invalid);
        }
        Ok(cap)
    }

    /// Reads the fields a variant uses; the rest are checked to be zero by
    /// re-encoding in [`Cap::decode`].
    fn from_fields(f: &Fields) -> Result<Cap, DecodeError> {
        let rights = Rights::from_bits_truncate(u64::from(f.rights));
        Ok(match f.tag {
            tag::NULL => Cap::Null,
            tag::UNTYPED => Cap::Untyped {
                paddr: f.w1,
                size_bits: f.a,
                free_index: f.w2,
                is_device: f.has(flag::DEVICE),
                zeroed_to: f.w3,
            },
            tag::ENDPOINT => Cap::Endpoint {
                paddr: f.w1,
                badge: f.w2,
                rights,
            },
            tag::NOTIFICATION => Cap::Notification {
                paddr: f.w1,
                badge: f.w2,
                rights,
            },
            tag::REPLY => Cap::Reply {
                tcb: f.w1,
                master: f.has(flag::MASTER),
                can_grant: f.has(flag::GRANT),
            },
            tag::CNODE => Cap::CNode {
                paddr: f.w1,
                radix_bits: f.a,
                guard_bits: f.b,
                guard: f.w2,
            },
            tag::TCB => Cap::Tcb { paddr: f.w1 },
            tag::FRAME => Cap::Frame {
                paddr: f.w1,
                size: FrameSize::from_code(f.a).ok_or(DecodeError::NonCanonical)?,
                rights,
                is_device: f.has(flag::DEVICE),
                mapping: f.has(flag::MAPPED).then_some(Mapping {
                    asid: f.half,
                    vaddr: f.w2,
                }),
            },
            tag::PAGE_TABLE => Cap::PageTable {
                paddr: f.w1,
                mapping: f.has(flag::MAPPED).then_some(PtMapping {
                    asid: f.half,
                    vaddr: f.w2,
                    level: f.a,
                }),
            },
            tag::VSPACE => Cap::VSpace {
                paddr: f.w1,
                asid: f.has(flag::MAPPED).then_some(f.half),
            },
            tag::ASID_CONTROL => Cap::AsidControl,
            tag::ASID_POOL => Cap::AsidPool {
                paddr: f.w1,
                base: f.half,
            },
            tag::IRQ_CONTROL => Cap::IrqControl,
            tag::IRQ_HANDLER => Cap::IrqHandler { irq: f.half },
            tag::ZOMBIE => Cap::Zombie {
                paddr: f.w1,
                kind: match f.b {
                    0 => ZombieKind::CNode { radix_bits: f.a },
                    1 => ZombieKind::Tcb,
                    _ => return Err(DecodeError::NonCanonical),
                },
                pending: f.w2,
            },
            _ => return Err(DecodeError::UnknownTag),
        })
    }

    /// Whether this is the empty capability.
    pub const fn is_null(&self) -> bool {
        matches!(self, Cap::Null)
    }

    /// The type Retype makes this capability's object with, if it is one
    /// (not for Null, Reply, ASID pools and control or IRQ capabilities).
    pub const fn object_type(&self) -> Option<ObjectType> {
        Some(match self {
            Cap::Untyped { .. } => ObjectType::Untyped,
            Cap::Endpoint { .. } => ObjectType::Endpoint,
            Cap::Notification { .. } => ObjectType::Notification,
            Cap::CNode { .. } => ObjectType::CNode,
            Cap::Tcb { .. } => ObjectType::Tcb,
            Cap::Frame { size, .. } => size.object_type(),
            Cap::PageTable { .. } => ObjectType::PageTable,
            Cap::VSpace { .. } => ObjectType::VSpace,
            _ => return None,
        })
    }

    /// The physical address of the object the capability refers to, for
    /// capabilities to memory (those an Untyped can cover).
    pub const fn paddr(&self) -> Option<u64> {
        match *self {
            Cap::Untyped { paddr, .. }
            | Cap::Endpoint { paddr, .. }
            | Cap::Notification { paddr, .. }
            | Cap::CNode { paddr, .. }
            | Cap::Tcb { paddr }
            | Cap::Frame { paddr, .. }
            | Cap::PageTable { paddr, .. }
            | Cap::VSpace { paddr, .. }
            | Cap::AsidPool { paddr, .. }
            | Cap::Zombie { paddr, .. } => Some(paddr),
            _ => None,
        }
    }

    /// log2 of the size of the object at [`Cap::paddr`]; None when there is
    /// no object or its size field is out of range.
    pub const fn object_size_bits(&self) -> Option<u8> {
        match *self {
            Cap::AsidPool { .. } => Some(ASID_POOL_OBJECT_BITS),
            Cap::Untyped { size_bits, .. } => ObjectType::Untyped.object_bits(size_bits),
            Cap::CNode { radix_bits, .. } => ObjectType::CNode.object_bits(radix_bits),
            Cap::Zombie { kind, .. } => kind.object_bits(),
            _ => match self.object_type() {
                Some(t) => t.object_bits(0),
                None => None,
            },
        }
    }

    /// The badge of an endpoint or notification capability.
    pub const fn badge(&self) -> Option<u64> {
        match *self {
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => Some(badge),
            _ => None,
        }
    }

    /// The rights of capabilities that carry them (endpoint, notification,
    /// frame).
    pub const fn rights(&self) -> Option<Rights> {
        match *self {
            Cap::Endpoint { rights, .. }
            | Cap::Notification { rights, .. }
            | Cap::Frame { rights, .. } => Some(rights),
            _ => None,
        }
    }

    /// Whether the fields obey the rules written on each variant; exactly
    /// the well-formed capabilities survive [`Cap::encode`] then
    /// [`Cap::decode`].
    pub fn is_well_formed(&self) -> bool {
        if let Some(paddr) = self.paddr()
            && !fits_aligned(paddr, self.object_size_bits(), PADDR_BITS)
        {
            return false;
        }
        match *self {
            Cap::Untyped {
                size_bits,
                free_index,
                is_device,
                zeroed_to,
                ..
            } => pow2(size_bits).is_some_and(|size| {
                u128::from(free_index) <= size
                    && u128::from(zeroed_to) <= size
                    && (!is_device || zeroed_to == 0)
            }),
            Cap::CNode {
                radix_bits,
                guard_bits,
                guard,
                ..
            } => guard_fits(radix_bits, guard_bits, guard),
            Cap::Reply { tcb, .. } => fits_aligned(tcb, ObjectType::Tcb.object_bits(0), PADDR_BITS),
            Cap::Frame {
                size,
                mapping: Some(m),
                ..
            } => fits_aligned(m.vaddr, Some(size.bits()), VADDR_BITS),
            Cap::PageTable {
                mapping: Some(m), ..
            } => fits_aligned(m.vaddr, PtMapping::covered_bits(m.level), VADDR_BITS),
            Cap::AsidPool { base, .. } => u64::from(base) & low_mask(ASID_POOL_BITS) == 0,
            Cap::Zombie { kind, pending, .. } => pending <= kind.slot_count(),
            _ => true,
        }
    }
}

fn frame_fields(
    paddr: u64,
    size: FrameSize,
    rights: Rights,
    is_device: bool,
    mapping: Option<Mapping>,
) -> Fields {
    let fl = flags(&[(is_device, flag::DEVICE), (mapping.is_some(), flag::MAPPED)]);
    Fields {
        tag: tag::FRAME,
        a: size.code(),
        flags: fl,
        half: mapping.map_or(0, |m| m.asid),
        rights: rights_byte(rights),
        w1: paddr,
        w2: mapping.map_or(0, |m| m.vaddr),
        ..Fields::default()
    }
}

fn page_table_fields(paddr: u64, mapping: Option<PtMapping>) -> Fields {
    Fields {
        tag: tag::PAGE_TABLE,
        a: mapping.map_or(0, |m| m.level),
        flags: flags(&[(mapping.is_some(), flag::MAPPED)]),
        half: mapping.map_or(0, |m| m.asid),
        w1: paddr,
        w2: mapping.map_or(0, |m| m.vaddr),
        ..Fields::default()
    }
}

/// Whether a CNode's guard is valid: the guard and the radix fit in one
/// word together, and the guard value fits in its size.
pub(crate) fn guard_fits(radix_bits: u8, guard_bits: u8, guard: u64) -> bool {
    radix_bits.saturating_add(guard_bits) <= 64 && guard & !low_mask(guard_bits) == 0
}

/// 2^bits as a u128 (None from 128 on).
pub(crate) fn pow2(bits: u8) -> Option<u128> {
    1u128.checked_shl(u32::from(bits))
}

/// A word with the low `bits` bits set (all bits from 64 on).
pub(crate) fn low_mask(bits: u8) -> u64 {
    match 1u64.checked_shl(u32::from(bits)) {
        Some(p) => p.wrapping_sub(1),
        None => u64::MAX,
    }
}

/// Whether `addr` is aligned to 2^bits and the whole 2^bits block at it
/// lies below 2^limit_bits.
fn fits_aligned(addr: u64, bits: Option<u8>, limit_bits: u8) -> bool {
    let (Some(bits), Some(limit)) = (bits, pow2(limit_bits)) else {
        return false;
    };
    match pow2(bits) {
        Some(size) => {
            addr & low_mask(bits) == 0
                && u128::from(addr)
                    .checked_add(size)
                    .is_some_and(|end| end <= limit)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Cap {
        Cap::Endpoint {
            paddr: 0x4000_0020,
            badge: 7,
            rights: Rights::ALL,
        }
    }

    #[test]
    fn encodes_tag_and_fields_where_documented() {
        let w = Cap::CNode {
            paddr: 0x8000,
            radix_bits: 4,
            guard_bits: 3,
            guard: 5,
        }
        .encode();
        assert_eq!(w, [5 | (4 << 8) | (3 << 16), 0x8000, 5, 0]);
        let w = Cap::IrqHandler { irq: 33 }.encode();
        assert_eq!(w, [13 | (33 << 32), 0, 0, 0]);
        assert_eq!(Cap::Null.encode(), [0; 4]);
    }

    #[test]
    fn round_trips() {
        for cap in [
            Cap::Null,
            ep(),
            Cap::Reply {
                tcb: 0x800,
                master: true,
                can_grant: false,
            },
            Cap::Frame {
                paddr: 0x20_0000,
                size: FrameSize::Large,
                rights: Rights::READ,
                is_device: true,
                mapping: Some(Mapping {
                    asid: 3,
                    vaddr: 0x40_0000,
                }),
            },
            Cap::PageTable {
                paddr: 0x1000,
                mapping: Some(PtMapping {
                    asid: 1,
                    vaddr: 0x4000_0000,
                    level: 2,
                }),
            },
            Cap::VSpace {
                paddr: 0x2000,
                asid: Some(0),
            },
            Cap::AsidPool {
                paddr: 0x3000,
                base: 1024,
            },
            Cap::AsidControl,
            Cap::IrqControl,
        ] {
            assert_eq!(Cap::decode(&cap.encode()), Ok(cap), "{cap:?}");
        }
    }

    #[test]
    fn rejects_unknown_tags_and_reserved_bits() {
        assert_eq!(Cap::decode(&[15, 0, 0, 0]), Err(DecodeError::UnknownTag));
        assert_eq!(Cap::decode(&[0xff, 0, 0, 0]), Err(DecodeError::UnknownTag));
        let mut w = ep().encode();
        w[3] = 1;
        assert_eq!(Cap::decode(&w), Err(DecodeError::NonCanonical));
        let mut w = ep().encode();
        w[0] |= 1 << 60;
        assert_eq!(Cap::decode(&w), Err(DecodeError::NonCanonical));
        // An unknown right.
        let mut w = ep().encode();
        w[0] |= 0x80 << 48;
        assert_eq!(Cap::decode(&w), Err(DecodeError::NonCanonical));
        // Null with stray bits.
        assert_eq!(Cap::decode(&[0, 1, 0, 0]), Err(DecodeError::NonCanonical));
        // A frame size code that does not exist.
        assert_eq!(
            Cap::decode(&[7 | (3 << 8), 0, 0, 0]),
            Err(DecodeError::NonCanonical)
        );
        // An unmapped page table with a level.
        assert_eq!(
            Cap::decode(&[8 | (1 << 8), 0, 0, 0]),
            Err(DecodeError::NonCanonical)
        );
    }

    #[test]
    fn rejects_broken_field_rules() {
        let bad = [
            Cap::Tcb { paddr: 0x400 },
            Cap::Endpoint {
                paddr: 1 << 48,
                badge: 0,
                rights: Rights::ALL,
            },
            Cap::Untyped {
                paddr: 0,
                size_bits: 3,
                free_index: 0,
                zeroed_to: 0,
                is_device: false,
            },
            Cap::Untyped {
                paddr: 0,
                size_bits: 12,
                free_index: 4097,
                zeroed_to: 0,
                is_device: false,
            },
            Cap::Untyped {
                paddr: 0xffff_f000_0000,
                size_bits: 30,
                free_index: 0,
                zeroed_to: 0,
                is_device: false,
            },
            Cap::CNode {
                paddr: 0,
                radix_bits: 0,
                guard_bits: 0,
                guard: 0,
            },
            Cap::CNode {
                paddr: 0,
                radix_bits: 8,
                guard_bits: 57,
                guard: 0,
            },
            Cap::CNode {
                paddr: 0,
                radix_bits: 8,
                guard_bits: 2,
                guard: 4,
            },
            Cap::Reply {
                tcb: 0x100,
                master: false,
                can_grant: false,
            },
            Cap::Frame {
                paddr: 0x1000,
                size: FrameSize::Large,
                rights: Rights::ALL,
                is_device: false,
                mapping: None,
            },
            Cap::Frame {
                paddr: 0x1000,
                size: FrameSize::Small,
                rights: Rights::ALL,
                is_device: false,
                mapping: Some(Mapping {
                    asid: 1,
                    vaddr: 0x1001,
                }),
            },
            Cap::PageTable {
                paddr: 0,
                mapping: Some(PtMapping {
                    asid: 1,
                    vaddr: 0,
                    level: 0,
                }),
            },
            Cap::PageTable {
                paddr: 0,
                mapping: Some(PtMapping {
                    asid: 1,
                    vaddr: 0x1000,
                    level: 3,
                }),
            },
            Cap::AsidPool { paddr: 0, base: 5 },
        ];
        for cap in bad {
            assert!(!cap.is_well_formed(), "{cap:?}");
            assert_eq!(
                Cap::decode(&cap.encode()),
                Err(DecodeError::Invalid),
                "{cap:?}"
            );
        }
    }

    #[test]
    fn accessors() {
        let cn = Cap::CNode {
            paddr: 0x4000,
            radix_bits: 8,
            guard_bits: 0,
            guard: 0,
        };
        assert_eq!(cn.object_size_bits(), Some(14));
        assert_eq!(cn.object_type(), Some(ObjectType::CNode));
        assert_eq!(ep().badge(), Some(7));
        assert_eq!(ep().object_size_bits(), Some(5));
        assert_eq!(Cap::Tcb { paddr: 0 }.object_size_bits(), Some(11));
        assert_eq!(
            Cap::AsidPool { paddr: 0, base: 0 }.object_size_bits(),
            Some(12)
        );
        assert_eq!(Cap::AsidPool { paddr: 0, base: 0 }.object_type(), None);
        assert_eq!(Cap::IrqControl.paddr(), None);
        assert_eq!(
            Cap::Reply {
                tcb: 0x800,
                master: true,
                can_grant: true
            }
            .paddr(),
            None
        );
        assert_eq!(Cap::Tcb { paddr: 0 }.badge(), None);
        assert_eq!(Cap::Tcb { paddr: 0 }.rights(), None);
        for s in FrameSize::ALL {
            assert_eq!(FrameSize::from_object_type(s.object_type()), Some(s));
            assert_eq!(s.object_type().object_bits(0), Some(s.bits()));
        }
        assert!(Cap::Null.is_null());
    }

    fn cnode_zombie(pending: u64) -> Cap {
        Cap::Zombie {
            paddr: 0x4_0000,
            kind: ZombieKind::CNode { radix_bits: 12 },
            pending,
        }
    }

    #[test]
    fn zombie_encoding() {
        assert_eq!(
            cnode_zombie(7).encode(),
            [14 | (12 << 8), 0x4_0000, 7, 0],
            "tag 14, radix in A, kind 0 in B, pending in word 2"
        );
        let tcb = Cap::Zombie {
            paddr: 0x800,
            kind: ZombieKind::Tcb,
            pending: TCB_SLOT_COUNT,
        };
        assert_eq!(tcb.encode(), [14 | (1 << 16), 0x800, 5, 0]);
        for cap in [cnode_zombie(0), cnode_zombie(4096), tcb] {
            assert!(cap.is_well_formed(), "{cap:?}");
            assert_eq!(Cap::decode(&cap.encode()), Ok(cap));
            assert_eq!(Cap::decode_trusted(&cap.encode()), Ok(cap));
        }
        assert_eq!(tcb.object_size_bits(), Some(11));
        assert_eq!(cnode_zombie(1).object_size_bits(), Some(18));
        assert_eq!(cnode_zombie(1).paddr(), Some(0x4_0000));
        assert_eq!(cnode_zombie(1).object_type(), None);
        assert_eq!(ZombieKind::CNode { radix_bits: 3 }.slot_count(), 8);
        assert_eq!(ZombieKind::Tcb.slot_count(), TCB_SLOT_COUNT);
    }

    #[test]
    fn zombie_rules() {
        let bad = [
            // More pending slots than the object has.
            cnode_zombie(4097),
            Cap::Zombie {
                paddr: 0x800,
                kind: ZombieKind::Tcb,
                pending: 6,
            },
            // Not aligned to the object.
            Cap::Zombie {
                paddr: 0x4_0040,
                kind: ZombieKind::CNode { radix_bits: 12 },
                pending: 0,
            },
            Cap::Zombie {
                paddr: 0x400,
                kind: ZombieKind::Tcb,
                pending: 0,
            },
            // A radix Retype would refuse.
            Cap::Zombie {
                paddr: 0,
                kind: ZombieKind::CNode { radix_bits: 0 },
                pending: 0,
            },
            Cap::Zombie {
                paddr: 0,
                kind: ZombieKind::CNode { radix_bits: 29 },
                pending: 0,
            },
        ];
        for cap in bad {
            assert!(!cap.is_well_formed(), "{cap:?}");
            assert_eq!(Cap::decode(&cap.encode()), Err(DecodeError::Invalid));
        }
        // An unknown kind, a TCB zombie with a radix, stray bits.
        assert_eq!(
            Cap::decode(&[14 | (2 << 16), 0, 0, 0]),
            Err(DecodeError::NonCanonical)
        );
        assert_eq!(
            Cap::decode(&[14 | (1 << 16) | (4 << 8), 0x800, 0, 0]),
            Err(DecodeError::NonCanonical)
        );
        let mut w = cnode_zombie(1).encode();
        w[3] = 1;
        assert_eq!(Cap::decode(&w), Err(DecodeError::NonCanonical));
        let mut w = cnode_zombie(1).encode();
        w[0] |= 1 << 48;
        assert_eq!(Cap::decode(&w), Err(DecodeError::NonCanonical));
    }
}
