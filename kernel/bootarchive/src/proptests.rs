//! Property tests: write/parse roundtrip, no panics, strict prefixes fail.

use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use crate::{Archive, Entry, write};

/// Up to `max` entries with distinct names and small data.
fn entries(max: usize) -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let entry = (
        "[a-zA-Z0-9_./é-]{1,24}",
        proptest::collection::vec(any::<u8>(), 0..48),
    );
    proptest::collection::btree_map(entry.0, entry.1, 0..=max)
        .prop_map(|map| map.into_iter().collect())
        .prop_shuffle()
}

/// The archive `write` makes of `entries`.
fn written(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    write(&refs).unwrap()
}

proptest! {
    #[test]
    fn roundtrip_gives_the_same_entries(entries in entries(8)) {
        let bytes = written(&entries);
        let archive = Archive::parse(&bytes).unwrap();
        prop_assert_eq!(archive.len(), entries.len());
        let expected: Vec<Entry<'_>> = entries
            .iter()
            .map(|(name, data)| Entry { name, mode: 0o100644, data })
            .collect();
        prop_assert_eq!(archive.entries().collect::<Vec<_>>(), expected.clone());
        for entry in expected {
            prop_assert_eq!(archive.get(entry.name), Some(entry));
        }
    }

    #[test]
    fn parse_of_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_consistent(&bytes);
    }

    #[test]
    fn parse_of_corrupted_archives_never_panics(
        entries in entries(4),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = written(&entries);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        check_consistent(&bytes);
    }

    #[test]
    fn every_strict_prefix_fails(entries in entries(4)) {
        let bytes = written(&entries);
        for len in 0..bytes.len() {
            prop_assert!(Archive::parse(&bytes[..len]).is_err(), "prefix of {} bytes parsed", len);
        }
    }
}

/// Parses `bytes` and, if that succeeds, checks that listing agrees with it.
fn check_consistent(bytes: &[u8]) {
    if let Ok(archive) = Archive::parse(bytes) {
        assert_eq!(archive.entries().count(), archive.len());
        for entry in archive.entries() {
            assert!(archive.get(entry.name).is_some());
        }
    }
}
