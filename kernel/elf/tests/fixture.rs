//! Parses a real program linked by rustc and rust-lld for
//! aarch64-unknown-none; `fixtures/README.md` says how it was made.

mod common;

use common::check_invariants;
use tessera_elf::{Program, SegmentFlags};

/// The fixture binary, committed so the test does not depend on a build.
const TINY: &[u8] = include_bytes!("fixtures/tiny-aarch64.elf");

/// Flags from read, write and execute bits.
fn flags(read: bool, write: bool, execute: bool) -> SegmentFlags {
    SegmentFlags {
        read,
        write,
        execute,
    }
}

#[test]
fn parses_the_linked_program() {
    let program = Program::parse(TINY).expect("fixture rejected");
    check_invariants(TINY, &program);
    assert_eq!(program.entry(), 0x2101e0);
    let layout: Vec<_> = program
        .segments()
        .map(|s| (s.vaddr, s.data.len(), s.mem_size, s.flags))
        .collect();
    assert_eq!(
        layout,
        [
            (0x200000, 0x1e0, 0x1e0, flags(true, false, false)),
            (0x2101e0, 0x54, 0x54, flags(true, false, true)),
            (0x220238, 0x8, 0x208, flags(true, true, false)),
        ]
    );
    assert_eq!(program.extent(), (0x200000, 0x221000));
}

#[test]
fn segment_bytes_are_the_program_data() {
    let program = Program::parse(TINY).unwrap();
    let segments: Vec<_> = program.segments().collect();
    // .rodata holds GREETING, .data holds COUNTER = 7.
    assert!(segments[0].data.windows(5).any(|w| w == b"hello"));
    assert_eq!(segments[2].data, 7u64.to_le_bytes());
    // The first segment starts with the ELF header itself.
    assert!(segments[0].data.starts_with(b"\x7fELF"));
    assert_eq!(segments[1].data, &TINY[0x1e0..0x1e0 + 0x54]);
}

#[test]
fn every_truncation_is_rejected_or_valid() {
    for len in 0..TINY.len() {
        if let Ok(program) = Program::parse(&TINY[..len]) {
            check_invariants(&TINY[..len], &program);
        }
    }
}
