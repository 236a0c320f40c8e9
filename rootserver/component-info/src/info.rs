//! The component-info page: what the rootserver tells a component about
//! itself, mapped read-only at [`INFO_VADDR`](crate::layout::INFO_VADDR).
//!
//! The rootserver fills a [`ComponentInfo`] and [`encode`]s it; the
//! component reads the page in place through an [`InfoPage`], which
//! checks the whole page once ([`InfoPage::parse`]) and then decodes each
//! record when asked, so reading it costs a component no memory and almost
//! no stack (a component may have a 4 KiB stack).
//!
//! Layout: little-endian, fixed-size records one after the other:
//!
//! | offset | size | what |
//! |---|---|---|
//! | 0 | 64 | header: magic `TCMI` (4), [`VERSION`] (u16), core (u16), priority (u8), console local id (u8, 255 = none), channel count, interrupt count, area count (u8 each), 2 reserved, name length (u8), heap address (u64), heap size (u64), name (32, zero-padded) |
//! | 64 | 48 each | channels: id, kind (0 notification, 1 endpoint), role (0 from, 1 to), name length, 4 reserved, slot (u64), name (32) |
//! | after them | 16 each | interrupts: id, 1 reserved, INTID (u16), 4 reserved, slot (u64) |
//! | after them | 64 each | areas: kind (0 region, 1 device), rights (bit 0 read, 1 write, 2 execute), cacheable (0/1), name length, 4 reserved, address (u64), size (u64), 8 reserved, name (32) |
//!
//! [`InfoPage::parse`] never panics and checks what the runtime relies on:
//! the magic and version, counts within limits and within the bytes,
//! names of at most 32 bytes of UTF-8, known kinds, local ids below 63 and
//! used once, capability slots inside the CNode, a console that is an
//! endpoint channel the component calls, and page-aligned areas and heap
//! inside the 48-bit address space.

use heapless::Vec;

use crate::slots::CNODE_BITS;
use crate::{ADDRESS_LIMIT, MAX_AREAS, MAX_LOCAL_IDS, PAGE_SIZE};

/// The first four bytes of a component-info page.
pub const MAGIC: [u8; 4] = *b"TCMI";
/// The version of the layout; [`InfoPage::parse`] accepts this one only.
pub const VERSION: u16 = 1;
/// The longest name (the system description's limit).
pub const MAX_NAME: usize = 32;

const HEADER: usize = 64;
const CHANNEL: usize = 48;
const INTERRUPT: usize = 16;
const AREA: usize = 64;
const NO_CONSOLE: u8 = 255;

/// What a component is told about itself, as the rootserver fills it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentInfo<'a> {
    /// Its name in the system description.
    pub name: &'a str,
    /// The core its thread runs on.
    pub core: u16,
    /// Its thread's priority.
    pub priority: u8,
    /// The local id of the endpoint channel `println!` goes through (the
    /// component's `console` in the system description), if any.
    pub console: Option<u8>,
    /// The heap's address and size (size 0: no heap).
    pub heap: (u64, u64),
    /// Its channels, in system-description order.
    pub channels: Vec<ChannelInfo<'a>, MAX_LOCAL_IDS>,
    /// Its interrupts, in system-description order.
    pub interrupts: Vec<InterruptInfo, MAX_LOCAL_IDS>,
    /// Its memory regions and devices, regions first.
    pub areas: Vec<AreaInfo<'a>, MAX_AREAS>,
}

/// What kind of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// One end signals, the other is notified.
    Notification,
    /// One end calls, the other answers (a protected call).
    Endpoint,
}

/// Which end of a channel the component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `from`: it signals (notification) or calls (endpoint), through the
    /// capability in the channel's slot.
    From,
    /// `to`: it is notified or answers calls; it holds no capability for
    /// the channel.
    To,
}

/// One of the component's channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelInfo<'a> {
    /// The channel's name in the system description.
    pub name: &'a str,
    /// The component's local id for it.
    pub id: u8,
    /// Notification or endpoint.
    pub kind: ChannelKind,
    /// Which end the component is.
    pub role: Role,
    /// The capability slot for [`Role::From`]; 0 for [`Role::To`].
    pub slot: u64,
}

/// One of the component's interrupts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptInfo {
    /// The GIC interrupt ID.
    pub intid: u16,
    /// The component's local id for it (the notification bit it sets).
    pub id: u8,
    /// The slot of its IRQHandler capability (for Ack).
    pub slot: u64,
}

/// What kind of memory an area is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AreaKind {
    /// A memory region (RAM, possibly shared with other components).
    Region,
    /// Device memory (MMIO), mapped Device-nGnRE.
    Device,
}

/// Access rights of a mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// Loads allowed.
    pub read: bool,
    /// Stores allowed.
    pub write: bool,
    /// Instruction fetches allowed.
    pub execute: bool,
}

/// A memory region or device mapped into the component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaInfo<'a> {
    /// The region's or device's name in the system description.
    pub name: &'a str,
    /// Region or device.
    pub kind: AreaKind,
    /// Where it is mapped.
    pub vaddr: u64,
    /// Its size in bytes.
    pub size: u64,
    /// The mapping's rights.
    pub rights: Rights,
    /// Normal write-back memory (false: non-cacheable, or a device).
    pub cacheable: bool,
}

/// Why [`encode`] could not write the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The records do not fit the buffer.
    TooLarge,
    /// A name is longer than [`MAX_NAME`] bytes.
    NameTooLong,
}

/// Why a page was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with [`MAGIC`].
    BadMagic,
    /// The version is not [`VERSION`].
    UnsupportedVersion(u16),
    /// The records run past the bytes given, or there are more than the
    /// limits allow.
    Truncated,
    /// A name is too long or not UTF-8, or a kind or flag is unknown.
    Malformed,
    /// A local id is 63 or more, or used twice.
    BadLocalId,
    /// A capability slot is outside the component's CNode.
    BadSlot,
    /// The console is not an endpoint channel the component calls.
    BadConsole,
    /// An area or the heap is not a page-aligned range within 48 bits.
    BadArea,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Self::BadMagic => "not a component-info page (bad magic)",
            Self::UnsupportedVersion(_) => "unsupported component-info version",
            Self::Truncated => "component-info page truncated or over its limits",
            Self::Malformed => "component-info page malformed",
            Self::BadLocalId => "a local id is out of range or used twice",
            Self::BadSlot => "a capability slot is outside the CNode",
            Self::BadConsole => "the console is not an endpoint channel the component calls",
            Self::BadArea => "an area is not a page-aligned range within 48 bits",
        };
        f.write_str(text)
    }
}

/// Writes `info` at the start of `out` (zero it first: reserved bytes are
/// left as they are); returns the bytes used.
pub fn encode(info: &ComponentInfo<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    let len = HEADER
        + CHANNEL * info.channels.len()
        + INTERRUPT * info.interrupts.len()
        + AREA * info.areas.len();
    let out = out.get_mut(..len).ok_or(EncodeError::TooLarge)?;
    let h = &mut out[..HEADER];
    h[0..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&VERSION.to_le_bytes());
    h[6..8].copy_from_slice(&info.core.to_le_bytes());
    h[8] = info.priority;
    h[9] = info.console.unwrap_or(NO_CONSOLE);
    h[10] = info.channels.len() as u8;
    h[11] = info.interrupts.len() as u8;
    h[12] = info.areas.len() as u8;
    put_u64(h, 16, info.heap.0);
    put_u64(h, 24, info.heap.1);
    put_name(h, 15, 32, info.name)?;
    let mut at = HEADER;
    for c in &info.channels {
        let r = &mut out[at..at + CHANNEL];
        r[0] = c.id;
        r[1] = c.kind as u8;
        r[2] = c.role as u8;
        put_u64(r, 8, c.slot);
        put_name(r, 3, 16, c.name)?;
        at += CHANNEL;
    }
    for i in &info.interrupts {
        let r = &mut out[at..at + INTERRUPT];
        r[0] = i.id;
        r[2..4].copy_from_slice(&i.intid.to_le_bytes());
        put_u64(r, 8, i.slot);
        at += INTERRUPT;
    }
    for a in &info.areas {
        let r = &mut out[at..at + AREA];
        r[0] = a.kind as u8;
        r[1] = u8::from(a.rights.read)
            | u8::from(a.rights.write) << 1
            | u8::from(a.rights.execute) << 2;
        r[2] = u8::from(a.cacheable);
        put_u64(r, 8, a.vaddr);
        put_u64(r, 16, a.size);
        put_name(r, 3, 32, a.name)?;
        at += AREA;
    }
    Ok(len)
}

fn put_u64(record: &mut [u8], at: usize, value: u64) {
    record[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Writes `name`'s length at `len_at` and its bytes at `at`.
fn put_name(record: &mut [u8], len_at: usize, at: usize, name: &str) -> Result<(), EncodeError> {
    if name.len() > MAX_NAME {
        return Err(EncodeError::NameTooLong);
    }
    record[len_at] = name.len() as u8;
    record[at..at + name.len()].copy_from_slice(name.as_bytes());
    Ok(())
}

/// A checked component-info page, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoPage<'a> {
    bytes: &'a [u8],
}

impl<'a> InfoPage<'a> {
    /// Checks a page (its records; more bytes may follow). Never panics;
    /// afterwards every accessor succeeds.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let header = bytes.get(..HEADER).ok_or(DecodeError::BadMagic)?;
        if header[..4] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = u16::from_le_bytes([header[4], header[5]]);
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let (channels, interrupts, areas) = (header[10], header[11], header[12]);
        if usize::from(channels) + usize::from(interrupts) > MAX_LOCAL_IDS
            || usize::from(areas) > MAX_AREAS
        {
            return Err(DecodeError::Truncated);
        }
        let len = HEADER
            + CHANNEL * usize::from(channels)
            + INTERRUPT * usize::from(interrupts)
            + AREA * usize::from(areas);
        let page = Self {
            bytes: bytes.get(..len).ok_or(DecodeError::Truncated)?,
        };
        page.check()?;
        Ok(page)
    }

    /// The checks of [`InfoPage::parse`] beyond the header.
    fn check(&self) -> Result<(), DecodeError> {
        name(self.bytes, 15, 32)?;
        let mut seen = 0u64;
        let mut note = |id: u8, slot: u64| {
            if usize::from(id) >= MAX_LOCAL_IDS || seen & (1 << id) != 0 {
                return Err(DecodeError::BadLocalId);
            }
            seen |= 1 << id;
            if slot >= 1 << CNODE_BITS {
                return Err(DecodeError::BadSlot);
            }
            Ok(())
        };
        for i in 0..self.count(10) {
            let c = self.try_channel(i)?;
            note(c.id, c.slot)?;
        }
        for i in 0..self.count(11) {
            let irq = self.try_interrupt(i);
            note(irq.id, irq.slot)?;
        }
        for i in 0..self.count(12) {
            let a = self.try_area(i)?;
            if !page_range(a.vaddr, a.size) {
                return Err(DecodeError::BadArea);
            }
        }
        let (heap_vaddr, heap_size) = self.heap();
        if heap_size != 0 && !page_range(heap_vaddr, heap_size) {
            return Err(DecodeError::BadArea);
        }
        if let Some(id) = self.console() {
            let calls = |c: ChannelInfo<'_>| {
                c.id == id && c.kind == ChannelKind::Endpoint && c.role == Role::From
            };
            if !self.channels().any(calls) {
                return Err(DecodeError::BadConsole);
            }
        }
        Ok(())
    }

    fn count(&self, at: usize) -> usize {
        usize::from(self.bytes[at])
    }

    fn u64_at(&self, at: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[at..at + 8]);
        u64::from_le_bytes(b)
    }

    /// The component's name.
    pub fn name(&self) -> &'a str {
        name(self.bytes, 15, 32).unwrap_or("")
    }

    /// The core its thread runs on.
    pub fn core(&self) -> u16 {
        u16::from_le_bytes([self.bytes[6], self.bytes[7]])
    }

    /// Its priority.
    pub fn priority(&self) -> u8 {
        self.bytes[8]
    }

    /// The local id of its console channel, if any.
    pub fn console(&self) -> Option<u8> {
        Some(self.bytes[9]).filter(|&id| id != NO_CONSOLE)
    }

    /// The heap's address and size (size 0: none).
    pub fn heap(&self) -> (u64, u64) {
        (self.u64_at(16), self.u64_at(24))
    }

    fn try_channel(&self, i: usize) -> Result<ChannelInfo<'a>, DecodeError> {
        let at = HEADER + CHANNEL * i;
        let r = &self.bytes[at..at + CHANNEL];
        let kind = match r[1] {
            0 => ChannelKind::Notification,
            1 => ChannelKind::Endpoint,
            _ => return Err(DecodeError::Malformed),
        };
        let role = match r[2] {
            0 => Role::From,
            1 => Role::To,
            _ => return Err(DecodeError::Malformed),
        };
        Ok(ChannelInfo {
            name: name(r, 3, 16)?,
            id: r[0],
            kind,
            role,
            slot: self.u64_at(at + 8),
        })
    }

    fn try_interrupt(&self, i: usize) -> InterruptInfo {
        let at = HEADER + CHANNEL * self.count(10) + INTERRUPT * i;
        InterruptInfo {
            id: self.bytes[at],
            intid: u16::from_le_bytes([self.bytes[at + 2], self.bytes[at + 3]]),
            slot: self.u64_at(at + 8),
        }
    }

    fn try_area(&self, i: usize) -> Result<AreaInfo<'a>, DecodeError> {
        let at = HEADER + CHANNEL * self.count(10) + INTERRUPT * self.count(11) + AREA * i;
        let r = &self.bytes[at..at + AREA];
        let kind = match r[0] {
            0 => AreaKind::Region,
            1 => AreaKind::Device,
            _ => return Err(DecodeError::Malformed),
        };
        if r[1] > 7 || r[2] > 1 {
            return Err(DecodeError::Malformed);
        }
        Ok(AreaInfo {
            name: name(r, 3, 32)?,
            kind,
            vaddr: self.u64_at(at + 8),
            size: self.u64_at(at + 16),
            rights: Rights {
                read: r[1] & 1 != 0,
                write: r[1] & 2 != 0,
                execute: r[1] & 4 != 0,
            },
            cacheable: r[2] == 1,
        })
    }

    /// The channels, in system-description order.
    pub fn channels(&self) -> impl Iterator<Item = ChannelInfo<'a>> + 'a {
        let page = *self;
        (0..self.count(10)).filter_map(move |i| page.try_channel(i).ok())
    }

    /// The interrupts, in system-description order.
    pub fn interrupts(&self) -> impl Iterator<Item = InterruptInfo> + 'a {
        let page = *self;
        (0..self.count(11)).map(move |i| page.try_interrupt(i))
    }

    /// The memory regions and devices.
    pub fn areas(&self) -> impl Iterator<Item = AreaInfo<'a>> + 'a {
        let page = *self;
        (0..self.count(12)).filter_map(move |i| page.try_area(i).ok())
    }

    /// The channel named `name`.
    pub fn channel(&self, name: &str) -> Option<ChannelInfo<'a>> {
        self.channels().find(|c| c.name == name)
    }

    /// The area (region or device) named `name`.
    pub fn area(&self, name: &str) -> Option<AreaInfo<'a>> {
        self.areas().find(|a| a.name == name)
    }

    /// Everything on the page, as the rootserver filled it.
    pub fn to_info(&self) -> ComponentInfo<'a> {
        ComponentInfo {
            name: self.name(),
            core: self.core(),
            priority: self.priority(),
            console: self.console(),
            heap: self.heap(),
            channels: self.channels().collect(),
            interrupts: self.interrupts().collect(),
            areas: self.areas().collect(),
        }
    }
}

/// The name whose length is at `len_at` and bytes at `at` in `record`.
fn name(record: &[u8], len_at: usize, at: usize) -> Result<&str, DecodeError> {
    let len = usize::from(record[len_at]);
    if len > MAX_NAME {
        return Err(DecodeError::Malformed);
    }
    core::str::from_utf8(&record[at..at + len]).map_err(|_| DecodeError::Malformed)
}

/// Whether `vaddr..vaddr + size` is non-empty, page-aligned and within 48
/// bits.
fn page_range(vaddr: u64, size: u64) -> bool {
    size > 0
        && vaddr.is_multiple_of(PAGE_SIZE)
        && size.is_multiple_of(PAGE_SIZE)
        && vaddr.checked_add(size).is_some_and(|e| e <= ADDRESS_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::INFO_SIZE;
    use crate::slots;

    fn example() -> ComponentInfo<'static> {
        let mut info = ComponentInfo {
            name: "ping",
            core: 1,
            priority: 100,
            console: Some(0),
            heap: (0x6000_0000_0000, 0x10000),
            ..ComponentInfo::default()
        };
        let channels = [
            ("ping_console", ChannelKind::Endpoint, Role::From),
            ("ping_to_pong", ChannelKind::Notification, Role::From),
            ("pong_to_ping", ChannelKind::Notification, Role::To),
        ];
        for (id, (name, kind, role)) in channels.into_iter().enumerate() {
            let slot = if role == Role::From {
                slots::local(id as u8)
            } else {
                0
            };
            let c = ChannelInfo {
                name,
                id: id as u8,
                kind,
                role,
                slot,
            };
            info.channels.push(c).unwrap();
        }
        let irq = InterruptInfo {
            intid: 33,
            id: 3,
            slot: slots::local(3),
        };
        info.interrupts.push(irq).unwrap();
        let area = AreaInfo {
            name: "shared",
            kind: AreaKind::Region,
            vaddr: 0x1000_0000,
            size: 0x1000,
            rights: Rights {
                read: true,
                write: true,
                execute: false,
            },
            cacheable: true,
        };
        info.areas.push(area).unwrap();
        info
    }

    fn encoded(info: &ComponentInfo<'_>) -> std::vec::Vec<u8> {
        let mut page = [0u8; INFO_SIZE];
        let len = encode(info, &mut page).unwrap();
        page[..len].to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<ComponentInfo<'_>, DecodeError> {
        InfoPage::parse(bytes).map(|p| p.to_info())
    }

    #[test]
    fn round_trips_with_the_rest_of_the_page_after_it() {
        let info = example();
        let mut page = [0u8; INFO_SIZE];
        let len = encode(&info, &mut page).unwrap();
        assert_eq!(len, 64 + 3 * 48 + 16 + 64);
        assert_eq!(decode(&page), Ok(info.clone()));
        assert_eq!(decode(&page[..len]), Ok(info));
        assert_eq!(decode(&page[..len - 1]), Err(DecodeError::Truncated));
    }

    #[test]
    fn lookups_by_name() {
        let bytes = encoded(&example());
        let page = InfoPage::parse(&bytes).unwrap();
        assert_eq!(page.channel("pong_to_ping").map(|c| c.id), Some(2));
        assert!(page.channel("nope").is_none());
        assert_eq!(page.area("shared").map(|a| a.vaddr), Some(0x1000_0000));
        assert_eq!(
            (page.name(), page.core(), page.priority()),
            ("ping", 1, 100)
        );
        assert_eq!(page.interrupts().next().map(|i| i.intid), Some(33));
    }

    #[test]
    fn the_header_is_checked() {
        let bytes = encoded(&example());
        assert_eq!(decode(&bytes[..5]), Err(DecodeError::BadMagic));
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(decode(&bad), Err(DecodeError::BadMagic));
        let mut bad = bytes.clone();
        bad[4] = 9;
        assert_eq!(decode(&bad), Err(DecodeError::UnsupportedVersion(9)));
        let mut bad = bytes.clone();
        bad[10] = 40;
        bad[11] = 40;
        assert_eq!(decode(&bad), Err(DecodeError::Truncated));
        let mut bad = bytes.clone();
        bad[12] = 33;
        assert_eq!(decode(&bad), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0; 64]), Err(DecodeError::BadMagic));
    }

    #[test]
    fn bad_records_are_refused() {
        let bytes = encoded(&example());
        let damaged = |at: usize, value: u8| {
            let mut b = bytes.clone();
            b[at] = value;
            decode(&b).map(|_| ())
        };
        const C1: usize = HEADER + CHANNEL;
        const I0: usize = HEADER + 3 * CHANNEL;
        const A0: usize = I0 + INTERRUPT;
        assert_eq!(damaged(15, 33), Err(DecodeError::Malformed));
        assert_eq!(damaged(32, 0xff), Err(DecodeError::Malformed));
        assert_eq!(damaged(C1 + 1, 2), Err(DecodeError::Malformed));
        assert_eq!(damaged(C1 + 2, 7), Err(DecodeError::Malformed));
        assert_eq!(damaged(A0, 2), Err(DecodeError::Malformed));
        assert_eq!(damaged(A0 + 1, 8), Err(DecodeError::Malformed));
        assert_eq!(damaged(A0 + 2, 2), Err(DecodeError::Malformed));
    }

    #[test]
    fn bad_contents_are_refused() {
        let check = |edit: fn(&mut ComponentInfo<'static>), want: DecodeError| {
            let mut info = example();
            edit(&mut info);
            assert_eq!(decode(&encoded(&info)), Err(want));
        };
        check(|i| i.channels[1].id = 0, DecodeError::BadLocalId);
        check(|i| i.interrupts[0].id = 2, DecodeError::BadLocalId);
        check(|i| i.interrupts[0].id = 63, DecodeError::BadLocalId);
        check(|i| i.channels[0].slot = 128, DecodeError::BadSlot);
        check(|i| i.console = Some(1), DecodeError::BadConsole);
        check(|i| i.console = Some(40), DecodeError::BadConsole);
        check(|i| i.areas[0].vaddr = 0x1000_0800, DecodeError::BadArea);
        check(|i| i.areas[0].size = 0, DecodeError::BadArea);
        check(|i| i.areas[0].vaddr = ADDRESS_LIMIT, DecodeError::BadArea);
        check(|i| i.heap = (0x6000_0000_0000, 0x800), DecodeError::BadArea);
    }

    #[test]
    fn the_largest_info_fits_the_reserved_pages() {
        let name = "n".repeat(MAX_NAME);
        let name = name.as_str();
        let mut info = ComponentInfo {
            name,
            console: Some(0),
            ..ComponentInfo::default()
        };
        for id in 0..MAX_LOCAL_IDS as u8 {
            let c = ChannelInfo {
                name,
                id,
                kind: ChannelKind::Endpoint,
                role: Role::From,
                slot: 127,
            };
            info.channels.push(c).unwrap();
        }
        for _ in 0..MAX_AREAS {
            let a = AreaInfo {
                name,
                kind: AreaKind::Device,
                vaddr: 0x1000,
                size: 0x1000,
                rights: Rights::default(),
                cacheable: true,
            };
            info.areas.push(a).unwrap();
        }
        let mut page = [0u8; INFO_SIZE];
        let len = encode(&info, &mut page).unwrap();
        assert_eq!(decode(&page[..len]), Ok(info.clone()));
        let mut small = [0u8; 64];
        assert_eq!(encode(&info, &mut small), Err(EncodeError::TooLarge));
        info.name = "a name that is longer than thirty-two bytes";
        assert_eq!(encode(&info, &mut page), Err(EncodeError::NameTooLong));
    }
}
