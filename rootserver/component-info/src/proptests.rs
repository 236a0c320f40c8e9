//! Property tests: encode/decode round-trips for valid pages, and decode
//! never panics, whatever the bytes.

use proptest::prelude::*;
use std::string::String;
use std::vec::Vec;

use crate::info::{
    AreaInfo, AreaKind, ChannelInfo, ChannelKind, ComponentInfo, InterruptInfo, Rights, Role,
};
use crate::layout::INFO_SIZE;
use crate::{DecodeError, InfoPage, MAX_AREAS, encode};

fn decode(bytes: &[u8]) -> Result<ComponentInfo<'_>, DecodeError> {
    InfoPage::parse(bytes).map(|p| p.to_info())
}

/// Owned names and a count of each table for [`info`].
#[derive(Clone, Debug)]
struct Material {
    names: Vec<String>,
    channels: usize,
    interrupts: usize,
    areas: usize,
    numbers: Vec<u64>,
}

fn material() -> impl Strategy<Value = Material> {
    (
        proptest::collection::vec("[a-z0-9_-]{1,32}|\\PC{0,8}", 8),
        0..30usize,
        0..30usize,
        0..MAX_AREAS,
        proptest::collection::vec(any::<u64>(), 8),
    )
        .prop_map(|(names, channels, interrupts, areas, numbers)| Material {
            names,
            channels,
            interrupts,
            areas,
            numbers,
        })
}

/// A valid info built from `m`: distinct ids, slots in range, page ranges.
fn info(m: &Material) -> ComponentInfo<'_> {
    let name = |i: usize| m.names[i % m.names.len()].as_str();
    let number = |i: usize| m.numbers[i % m.numbers.len()];
    let page_range = |i: usize| {
        (
            (number(i) % (1 << 30)) << 12,
            ((number(i + 1) % 64) + 1) << 12,
        )
    };
    let mut info = ComponentInfo {
        name: name(0),
        core: number(0) as u16,
        priority: number(1) as u8,
        console: None,
        heap: page_range(2),
        ..ComponentInfo::default()
    };
    for i in 0..m.channels {
        let role = if number(i) % 2 == 0 {
            Role::From
        } else {
            Role::To
        };
        let kind = if number(i + 1) % 2 == 0 {
            ChannelKind::Endpoint
        } else {
            ChannelKind::Notification
        };
        let c = ChannelInfo {
            name: name(i),
            id: i as u8,
            kind,
            role,
            slot: number(i + 2) % 128,
        };
        if kind == ChannelKind::Endpoint && role == Role::From {
            info.console = Some(i as u8);
        }
        info.channels.push(c).unwrap();
    }
    for i in 0..m.interrupts {
        let irq = InterruptInfo {
            intid: number(i) as u16,
            id: (m.channels + i) as u8,
            slot: number(i + 3) % 128,
        };
        info.interrupts.push(irq).unwrap();
    }
    for i in 0..m.areas {
        let (vaddr, size) = page_range(i);
        let a = AreaInfo {
            name: name(i + 1),
            kind: if i % 2 == 0 {
                AreaKind::Region
            } else {
                AreaKind::Device
            },
            vaddr,
            size,
            rights: Rights {
                read: true,
                write: i % 3 == 0,
                execute: i % 5 == 0,
            },
            cacheable: i % 2 == 0,
        };
        info.areas.push(a).unwrap();
    }
    info
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(m in material()) {
        let info = info(&m);
        let mut page = [0u8; INFO_SIZE];
        let len = encode(&info, &mut page).unwrap();
        prop_assert_eq!(decode(&page[..len]), Ok(info));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn damaged_pages_never_panic(
        m in material(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let mut page = [0u8; INFO_SIZE];
        let len = encode(&info(&m), &mut page).unwrap();
        page[at.index(len)] ^= xor;
        let _ = decode(&page);
    }
}
