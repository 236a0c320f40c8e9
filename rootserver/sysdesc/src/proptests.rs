//! Property tests of the packed form: encode/decode round-trips, and decode
//! never panics, whatever the bytes.

use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use crate::packed::{
    Channel, ChannelKind, Component, Device, Interrupt, Mapping, Region, Rights, System, Trigger,
};
use crate::{DecodeError, MAGIC, VERSION, decode, encode};

/// Owned material for a [`System`]: names, numbers, and raw indices that
/// [`system`] reduces modulo the table lengths.
#[derive(Debug, Clone)]
struct Material {
    names: Vec<String>,
    numbers: Vec<u64>,
    components: usize,
    regions: usize,
    links: Vec<(u16, u16, u8, bool)>,
}

fn material() -> impl Strategy<Value = Material> {
    (
        proptest::collection::vec("[a-z0-9_-]{0,32}|\\PC{0,8}", 16),
        proptest::collection::vec(any::<u64>(), 16),
        0..5usize,
        0..5usize,
        proptest::collection::vec(any::<(u16, u16, u8, bool)>(), 0..8),
    )
        .prop_map(|(names, numbers, components, regions, links)| Material {
            names,
            numbers,
            components,
            regions,
            links,
        })
}

fn rights(bits: u8) -> Rights {
    Rights {
        read: bits & 1 != 0,
        write: bits & 2 != 0,
        execute: bits & 4 != 0,
    }
}

/// A system with in-range indices built from `m`.
fn system(m: &Material) -> System<'_> {
    let name = |i: usize| m.names[i % m.names.len()].as_str();
    let number = |i: usize| m.numbers[i % m.numbers.len()];
    let mut s = System::default();
    for i in 0..m.components {
        let c = Component {
            name: name(i),
            program: name(i + 5),
            priority: number(i) as u8,
            core: number(i + 1) as u16,
            stack_size: number(i + 2),
            heap_size: number(i + 3),
            console: None,
        };
        s.components.push(c).unwrap();
    }
    for i in 0..m.regions {
        let phys_addr = (i % 2 == 0).then(|| number(i + 4));
        let r = Region {
            name: name(i + 2),
            size: number(i + 5),
            phys_addr,
            cacheable: i % 3 == 0,
        };
        s.regions.push(r).unwrap();
    }
    let count = |n: usize| u16::try_from(n).unwrap();
    for (i, &(a, b, bits, flag)) in m.links.iter().enumerate() {
        let vaddr = flag.then(|| number(i));
        if m.components > 0 {
            let (from, to) = (a % count(m.components), b % count(m.components));
            if m.regions > 0 {
                let region = a % count(m.regions);
                let mapping = Mapping {
                    region,
                    component: to,
                    rights: rights(bits),
                    vaddr,
                };
                s.mappings.push(mapping).unwrap();
            }
            let kind = if flag {
                ChannelKind::Endpoint
            } else {
                ChannelKind::Notification
            };
            s.channels
                .push(Channel {
                    name: name(i),
                    kind,
                    from,
                    to,
                })
                .unwrap();
            if kind == ChannelKind::Endpoint {
                s.components[usize::from(from)].console = Some(count(s.channels.len() - 1));
            }
            let trigger = if flag { Trigger::Edge } else { Trigger::Level };
            let irq = Interrupt {
                intid: a,
                trigger,
                component: from,
            };
            s.interrupts.push(irq).unwrap();
            let device = Device {
                name: name(i + 7),
                phys_addr: number(i + 1),
                size: number(i + 2),
                component: to,
                rights: rights(bits),
                vaddr,
            };
            s.devices.push(device).unwrap();
        }
    }
    s
}

fn header() -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(m in material()) {
        let s = system(&m);
        let bytes = encode(&s);
        prop_assert_eq!(decode(&bytes), Ok(s));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_after_a_good_header(
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = header();
        bytes.extend_from_slice(&body);
        let _ = decode(&bytes);
    }

    #[test]
    fn damaged_encodings_never_panic(
        m in material(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let mut bytes = encode(&system(&m));
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let _ = decode(&bytes);
    }

    #[test]
    fn strict_prefixes_fail_and_extra_bytes_are_refused(m in material(), extra in any::<u8>()) {
        let mut bytes = encode(&system(&m));
        for len in 0..bytes.len() {
            prop_assert!(decode(&bytes[..len]).is_err());
        }
        bytes.push(extra);
        prop_assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes));
    }
}

#[test]
fn header_is_checked() {
    assert_eq!(decode(b"TSY"), Err(DecodeError::BadMagic));
    assert_eq!(decode(b"XSYS\x01\x00"), Err(DecodeError::BadMagic));
    assert_eq!(
        decode(b"TSYS\x01\x00"),
        Err(DecodeError::UnsupportedVersion(1))
    );
    let empty = encode(&System::default());
    assert_eq!(empty.len(), 6 + 6);
    assert_eq!(decode(&empty), Ok(System::default()));
}

#[test]
fn out_of_range_indices_are_refused() {
    let mut s = System::default();
    let irq = Interrupt {
        intid: 40,
        trigger: Trigger::Level,
        component: 0,
    };
    s.interrupts.push(irq).unwrap();
    assert_eq!(decode(&encode(&s)), Err(DecodeError::BadIndex));
}

#[test]
fn a_console_must_be_an_endpoint_its_component_calls() {
    let component = |name| Component {
        name,
        program: "p",
        priority: 1,
        core: 0,
        stack_size: 4096,
        heap_size: 0,
        console: Some(0),
    };
    let mut s = System::default();
    s.components.push(component("a")).unwrap();
    s.components.push(component("b")).unwrap();
    s.components[1].console = None;
    assert_eq!(decode(&encode(&s)), Err(DecodeError::BadIndex));
    let channel = Channel {
        name: "c",
        kind: ChannelKind::Endpoint,
        from: 0,
        to: 1,
    };
    s.channels.push(channel).unwrap();
    assert_eq!(decode(&encode(&s)), Ok(s.clone()));
    s.channels[0].kind = ChannelKind::Notification;
    assert_eq!(decode(&encode(&s)), Err(DecodeError::BadIndex));
    s.channels[0].kind = ChannelKind::Endpoint;
    s.channels[0].from = 1;
    s.channels[0].to = 0;
    assert_eq!(decode(&encode(&s)), Err(DecodeError::BadIndex));
}

#[test]
fn the_console_server_is_the_first_callee_of_a_console() {
    let component = |name| Component {
        name,
        program: "p",
        priority: 1,
        core: 0,
        stack_size: 4096,
        heap_size: 0,
        console: None,
    };
    let mut s = System::default();
    for name in ["a", "b", "c", "d"] {
        s.components.push(component(name)).unwrap();
    }
    assert_eq!(s.console_server(), None);
    // a prints through d, c through b, and d through b.
    for (from, to) in [(0, 3), (2, 1), (3, 1)] {
        let channel = Channel {
            name: "x",
            kind: ChannelKind::Endpoint,
            from,
            to,
        };
        s.components[usize::from(from)].console = Some(s.channels.len() as u16);
        s.channels.push(channel).unwrap();
    }
    assert_eq!(s.console_server(), Some(1));
    s.components[2].console = None;
    s.components[3].console = None;
    assert_eq!(s.console_server(), Some(3));
}

#[test]
fn local_ids_are_channels_then_interrupts_in_file_order() {
    use crate::{End, Role};
    let mut s = System::default();
    let channels = [("x", 0, 1), ("y", 1, 2), ("z", 2, 1)];
    for (name, from, to) in channels {
        let c = Channel {
            name,
            kind: ChannelKind::Notification,
            from,
            to,
        };
        s.channels.push(c).unwrap();
    }
    for component in [1, 0, 1] {
        let irq = Interrupt {
            intid: 40,
            trigger: Trigger::Level,
            component,
        };
        s.interrupts.push(irq).unwrap();
    }
    let ends: Vec<End> = s.ends_of(1).collect();
    assert_eq!(
        ends,
        [
            End::Channel {
                index: 0,
                role: Role::To
            },
            End::Channel {
                index: 1,
                role: Role::From
            },
            End::Channel {
                index: 2,
                role: Role::To
            },
            End::Interrupt { index: 0 },
            End::Interrupt { index: 2 },
        ]
    );
    assert_eq!(s.local_id(1, End::Interrupt { index: 2 }), Some(4));
    assert_eq!(s.local_id(0, End::Interrupt { index: 1 }), Some(1));
    assert_eq!(s.local_id(0, End::Interrupt { index: 0 }), None);
    assert_eq!(s.ends_of(3).count(), 0);
}

#[test]
fn the_decoded_system_fits_a_rootserver_stack() {
    // The rootserver has a 128 KiB stack and decoding copies the tables a
    // few times; keep them well under.
    assert!(core::mem::size_of::<System<'_>>() <= 16 * 1024);
}
