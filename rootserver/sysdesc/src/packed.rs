//! The resolved system, as the rootserver sees it, and its packed form.
//!
//! Every cross-reference is an index into one of the [`System`]'s tables;
//! [`decode`] has checked each index, so indexing cannot go out of bounds.
//! Names borrow from the packed bytes and the tables are `heapless`, so
//! decoding needs no allocator.
//!
//! Layout: the 4-byte [`MAGIC`], [`VERSION`] as a little-endian `u16`, then
//! the `postcard` encoding of [`System`] (integers as varints, strings and
//! tables length-prefixed, `Option` as a 0/1 tag, enums as a varint
//! variant index, fields in declaration order). No bytes may follow.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::{MAX_CHANNELS, MAX_COMPONENTS, MAX_DEVICES, MAX_INTERRUPTS, MAX_MAPPINGS, MAX_REGIONS};

/// The first four bytes of a packed system description.
pub const MAGIC: [u8; 4] = *b"TSYS";

/// The version of the packed form. Partitions and virtual machines will add
/// tables and bump it; [`decode`] accepts this version only. (2 added the
/// components' `console`.)
pub const VERSION: u16 = 2;

/// Length of the magic and version that precede the `postcard` body.
const HEADER_LEN: usize = MAGIC.len() + 2;

/// A validated system description with its references resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct System<'a> {
    /// The components, in file order.
    #[serde(borrow)]
    pub components: Vec<Component<'a>, MAX_COMPONENTS>,
    /// The memory regions, in file order.
    #[serde(borrow)]
    pub regions: Vec<Region<'a>, MAX_REGIONS>,
    /// Every mapping of every region, grouped by region in file order.
    pub mappings: Vec<Mapping, MAX_MAPPINGS>,
    /// The channels, in file order.
    #[serde(borrow)]
    pub channels: Vec<Channel<'a>, MAX_CHANNELS>,
    /// The interrupts given to components, in file order.
    pub interrupts: Vec<Interrupt, MAX_INTERRUPTS>,
    /// The device memory given to components, in file order.
    #[serde(borrow)]
    pub devices: Vec<Device<'a>, MAX_DEVICES>,
}

/// A native component: one program, one thread, one address space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component<'a> {
    /// Its unique name.
    pub name: &'a str,
    /// The boot-archive entry holding its ELF image.
    pub program: &'a str,
    /// Its thread's priority, below the rootserver's 255.
    pub priority: u8,
    /// The core its thread runs on.
    pub core: u16,
    /// Stack size in bytes, a multiple of the page size.
    pub stack_size: u64,
    /// Heap size in bytes, a multiple of the page size (may be 0).
    pub heap_size: u64,
    /// Index into [`System::channels`]: the endpoint channel this component
    /// calls to print (its `println!` output), if any.
    pub console: Option<u16>,
}

/// A region of RAM, mapped into components by [`Mapping`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region<'a> {
    /// Its unique name.
    pub name: &'a str,
    /// Size in bytes, a non-zero multiple of the page size.
    pub size: u64,
    /// A fixed physical address, or `None` for anywhere in RAM.
    pub phys_addr: Option<u64>,
    /// Normal write-back memory if true, normal non-cacheable if false.
    pub cacheable: bool,
}

/// One region mapped into one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// Index into [`System::regions`].
    pub region: u16,
    /// Index into [`System::components`].
    pub component: u16,
    /// Access rights of the mapping.
    pub rights: Rights,
    /// A fixed virtual address, or `None` for one the rootserver picks.
    pub vaddr: Option<u64>,
}

/// Access rights of a mapping. Read is always present in a valid system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    /// Loads allowed.
    pub read: bool,
    /// Stores allowed.
    pub write: bool,
    /// Instruction fetch allowed.
    pub execute: bool,
}

/// What a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelKind {
    /// A notification: `from` signals, `to` waits.
    Notification,
    /// An endpoint for a protected call: `from` calls, `to` (at a higher
    /// priority) answers.
    Endpoint,
}

/// A channel between two different components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel<'a> {
    /// Its unique name.
    pub name: &'a str,
    /// Notification or endpoint.
    pub kind: ChannelKind,
    /// Index into [`System::components`]: the signaller or caller.
    pub from: u16,
    /// Index into [`System::components`]: the waiter or callee.
    pub to: u16,
}

/// Which end of a channel a component is (`From`: the signaller or caller;
/// `To`: the waiter or callee), as components are told it.
pub use tessera_component_info::Role;

/// Something a component has a local id for (see [`System::ends_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// An end of channel `index` (into [`System::channels`]).
    Channel {
        /// The channel.
        index: u16,
        /// Which end.
        role: Role,
    },
    /// Interrupt `index` (into [`System::interrupts`]).
    Interrupt {
        /// The interrupt.
        index: u16,
    },
}

/// How an interrupt line signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// Level-sensitive.
    Level,
    /// Edge-triggered.
    Edge,
}

/// An interrupt given to a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interrupt {
    /// The GIC interrupt ID (a PPI or SPI the kernel does not keep).
    pub intid: u16,
    /// Level or edge.
    pub trigger: Trigger,
    /// Index into [`System::components`].
    pub component: u16,
}

/// Device memory (MMIO) given to one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device<'a> {
    /// Its unique name.
    pub name: &'a str,
    /// Physical address, page-aligned.
    pub phys_addr: u64,
    /// Size in bytes, a non-zero multiple of the page size.
    pub size: u64,
    /// Index into [`System::components`].
    pub component: u16,
    /// Access rights (never execute).
    pub rights: Rights,
    /// A fixed virtual address, or `None` for one the rootserver picks.
    pub vaddr: Option<u64>,
}

/// Why [`decode`] refused the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with [`MAGIC`].
    BadMagic,
    /// The version is not [`VERSION`].
    UnsupportedVersion(u16),
    /// The `postcard` body is malformed, truncated or has too many entries.
    Malformed,
    /// Bytes follow the encoded system.
    TrailingBytes,
    /// An index points past the end of its table.
    BadIndex,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadMagic => write!(f, "not a packed system description (bad magic)"),
            Self::UnsupportedVersion(v) => {
                write!(
                    f,
                    "packed system description version {v}, expected {VERSION}"
                )
            }
            Self::Malformed => write!(f, "packed system description is malformed"),
            Self::TrailingBytes => write!(f, "bytes follow the packed system description"),
            Self::BadIndex => write!(f, "packed system description has an index out of range"),
        }
    }
}

/// Reads a packed system description, borrowing names from `bytes`.
///
/// Never panics; on success every index in the result is in range.
pub fn decode(bytes: &[u8]) -> Result<System<'_>, DecodeError> {
    let (header, body) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or(DecodeError::BadMagic)?;
    let (magic, version) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = u16::from_le_bytes([version[0], version[1]]);
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let (system, tail): (System<'_>, _) =
        postcard::take_from_bytes(body).map_err(|_| DecodeError::Malformed)?;
    if !tail.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    if !system.indices_in_range() {
        return Err(DecodeError::BadIndex);
    }
    Ok(system)
}

/// Packs `system` for the boot archive. Pass what
/// [`validate`](crate::validate) returned.
#[cfg(feature = "std")]
pub fn encode(system: &System<'_>) -> std::vec::Vec<u8> {
    let mut out = std::vec::Vec::with_capacity(HEADER_LEN + 256);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let body = postcard::to_allocvec(system)
        .expect("postcard serializes plain structs, strings and tables into a Vec");
    out.extend_from_slice(&body);
    out
}

impl System<'_> {
    /// Whether every index names an existing entry of its table.
    fn indices_in_range(&self) -> bool {
        let components = self.components.len();
        let component = |i: u16| usize::from(i) < components;
        // A console is an endpoint channel its component calls.
        let console = |(c, index): (&Component<'_>, u16)| {
            c.console.is_none_or(|i| {
                self.channels
                    .get(usize::from(i))
                    .is_some_and(|ch| ch.kind == ChannelKind::Endpoint && ch.from == index)
            })
        };
        self.components.iter().zip(0u16..).all(console)
            && self
                .mappings
                .iter()
                .all(|m| usize::from(m.region) < self.regions.len() && component(m.component))
            && self
                .channels
                .iter()
                .all(|c| component(c.from) && component(c.to))
            && self.interrupts.iter().all(|i| component(i.component))
            && self.devices.iter().all(|d| component(d.component))
    }

    /// What component `index` is an end of, in local-id order: first the
    /// channels it is an end of, then its interrupts, each in file order.
    /// The position of an [`End`] here is the component's *local id* for
    /// it (the runtime's channel number, the bit a notification sets).
    pub fn ends_of(&self, index: u16) -> impl Iterator<Item = End> + '_ {
        let channels = self.channels.iter().zip(0u16..).filter_map(move |(c, i)| {
            let role = if c.from == index {
                Role::From
            } else if c.to == index {
                Role::To
            } else {
                return None;
            };
            Some(End::Channel { index: i, role })
        });
        let interrupts = self
            .interrupts
            .iter()
            .zip(0u16..)
            .filter(move |(irq, _)| irq.component == index)
            .map(|(_, i)| End::Interrupt { index: i });
        channels.chain(interrupts)
    }

    /// The console server: the component that is the `to` of the
    /// components' `console` channels (the first in file order if they
    /// name several), if any component has a console. The rootserver
    /// prints through it once it runs.
    pub fn console_server(&self) -> Option<u16> {
        self.components
            .iter()
            .filter_map(|c| self.channels.get(usize::from(c.console?)))
            .map(|ch| ch.to)
            .min()
    }

    /// Component `index`'s local id for `end`, if it is one of its ends.
    pub fn local_id(&self, index: u16, end: End) -> Option<usize> {
        self.ends_of(index).position(|e| e == end)
    }

    /// The mappings of component `index`, each with its region.
    pub fn mappings_of(&self, index: u16) -> impl Iterator<Item = (&Region<'_>, &Mapping)> {
        self.mappings
            .iter()
            .filter(move |m| m.component == index)
            .filter_map(|m| Some((self.regions.get(usize::from(m.region))?, m)))
    }
}
