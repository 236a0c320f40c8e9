//! Properties: no input makes `Program::parse` panic, and whatever it
//! accepts satisfies every invariant in the crate documentation.

mod common;

use common::{BASE, Builder, PAGE, PF_R, PF_W, PF_X, Phdr, check_invariants};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use tessera_elf::Program;

/// The committed fixture, a real linked program to mutate.
const TINY: &[u8] = include_bytes!("fixtures/tiny-aarch64.elf");

/// Parses and, on success, checks the invariants.
fn parse_and_check(file: &[u8]) {
    if let Ok(program) = Program::parse(file) {
        check_invariants(file, &program);
    }
}

/// Overwrites bytes of `file` at the given positions.
fn mutate(file: &mut [u8], edits: &[(usize, u8)]) {
    let len = file.len();
    for &(at, value) in edits {
        file[at % len] = value;
    }
}

/// A program header with fields drawn near interesting values, so that
/// both accepted and rejected layouts come up often.
fn phdr() -> impl Strategy<Value = Phdr> {
    let p_type = prop_oneof![6 => Just(1u32), 1 => 0u32..8];
    let flags = prop_oneof![Just(PF_R | PF_X), Just(PF_R), Just(PF_R | PF_W), 0u32..8];
    let vaddr = prop_oneof![
        6 => (1u64..256, 0..PAGE).prop_map(|(page, off)| BASE + page * PAGE + off),
        1 => (0..PAGE).prop_map(|off| BASE + off),
        1 => (0..0x4000u64).prop_map(|off| (1 << 48) - off),
        1 => any::<u64>(),
    ];
    let filesz = prop_oneof![4 => 0u64..0x3000, 1 => any::<u64>()];
    let extra = prop_oneof![5 => 0u64..0x3000, 1 => any::<u64>()];
    let memsz = prop_oneof![5 => Just(None), 1 => (0u64..0x3000).prop_map(Some)];
    let align = prop_oneof![
        4 => Just(PAGE),
        1 => Just(0),
        1 => Just(1),
        1 => Just(0x1_0000),
        1 => any::<u64>(),
    ];
    (p_type, flags, vaddr, filesz, extra, memsz, align).prop_map(
        |(p_type, flags, vaddr, filesz, extra, memsz, align)| Phdr {
            p_type,
            flags,
            offset: 0,
            vaddr,
            filesz,
            memsz: memsz.unwrap_or(filesz.saturating_add(extra)),
            align,
        },
    )
}

/// A whole file: the valid default program plus random headers, whose
/// file offsets are usually made consistent (page-congruent, inside the
/// file) and sometimes left raw.
fn structured_file() -> impl Strategy<Value = (Builder, Vec<u8>)> {
    let consistent = prop::bool::weighted(0.85);
    let headers = prop::collection::vec((phdr(), consistent, 0u64..0x2000), 0..6);
    let entry = prop_oneof![
        4 => (0u64..0x40).prop_map(|o| BASE + 4 * o),
        1 => (0u64..0x10_0000).prop_map(|o| BASE + 4 * o),
        1 => any::<u64>(),
    ];
    (headers, entry).prop_map(|(headers, entry)| {
        let mut b = Builder::new();
        b.entry = entry;
        for (p, consistent, raw_offset) in headers {
            place(&mut b, p, consistent, raw_offset);
        }
        let file = b.build();
        (b, file)
    })
}

/// Adds one header to the builder, laying out its file bytes.
fn place(b: &mut Builder, p: Phdr, consistent: bool, raw_offset: u64) {
    let filesz = p.filesz.min(0x3000);
    if consistent && p.p_type == 1 {
        let slot = b.load(p.vaddr, filesz, p.memsz, p.flags);
        slot.align = p.align;
    } else {
        b.phdrs.push(Phdr {
            offset: raw_offset,
            ..p
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_never_panic(file in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_and_check(&file);
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(
        tail in prop::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut file = Builder::empty().build()[..64].to_vec();
        file.extend_from_slice(&tail);
        parse_and_check(&file);
    }

    #[test]
    fn mutated_fixture_never_panics(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        misalign in any::<bool>(),
    ) {
        let mut file = TINY.to_vec();
        mutate(&mut file, &edits);
        let len = cut.index(file.len() + 1);
        // An odd start address checks that no read assumes alignment.
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&file[..len]);
        let view = if misalign { &shifted[1..] } else { &file[..len] };
        parse_and_check(view);
    }

    #[test]
    fn mutated_header_fields_never_panic(
        edits in prop::collection::vec((0usize..0x200, any::<u8>()), 1..6),
    ) {
        // Concentrate edits on the file and program headers.
        let mut b = Builder::new();
        b.load(0x50_0000, 0x100, 0x2000, PF_R | PF_W);
        let mut file = b.build();
        mutate(&mut file, &edits);
        parse_and_check(&file);
    }

    #[test]
    fn structured_files_hold_the_invariants((builder, file) in structured_file()) {
        if let Ok(program) = Program::parse(&file) {
            check_invariants(&file, &program);
            check_against_headers(&builder, &program);
        }
    }
}

/// Each accepted segment comes from a PT_LOAD header whose alignment rule
/// holds and whose sizes match.
fn check_against_headers(builder: &Builder, program: &Program<'_>) {
    for s in program.segments() {
        let p = builder
            .phdrs
            .iter()
            .find(|p| p.p_type == 1 && p.vaddr == s.vaddr)
            .expect("segment without a header");
        assert_eq!(p.memsz, s.mem_size);
        assert_eq!(p.filesz, s.data.len() as u64);
        assert!(p.filesz <= p.memsz);
        if p.align > 1 {
            assert!(p.align.is_power_of_two());
            assert_eq!(p.vaddr % p.align, p.offset % p.align);
        }
    }
}

#[test]
fn structured_generator_produces_accepted_files() {
    // Guard against a generator that only ever produces rejected files, or
    // accepted files with a single segment.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut accepted, mut several) = (0, 0);
    for _ in 0..2000 {
        let (_, file) = structured_file().new_tree(&mut runner).unwrap().current();
        if let Ok(program) = Program::parse(&file) {
            accepted += 1;
            several += usize::from(program.segments().count() > 1);
        }
    }
    assert!(accepted >= 100, "only {accepted} of 2000 accepted");
    assert!(
        several >= 50,
        "only {several} of 2000 with several segments"
    );
}
