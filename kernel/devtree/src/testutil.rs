//! A raw FDT assembler for unit tests, able to write malformed blobs.

use std::vec::Vec;

/// Tokens of the structure block and the strings block being written.
#[derive(Default)]
pub(crate) struct Raw {
    pub(crate) structure: Vec<u8>,
    pub(crate) strings: Vec<u8>,
}

impl Raw {
    /// Appends one big-endian word.
    pub(crate) fn word(&mut self, value: u32) -> &mut Self {
        self.structure.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends `FDT_BEGIN_NODE` and the padded name.
    pub(crate) fn begin(&mut self, name: &[u8]) -> &mut Self {
        self.word(1);
        self.structure.extend_from_slice(name);
        self.structure.push(0);
        self.pad()
    }

    /// Appends `FDT_PROP` with a new string for `name`.
    pub(crate) fn prop(&mut self, name: &[u8], value: &[u8]) -> &mut Self {
        let offset = u32::try_from(self.strings.len()).unwrap();
        self.strings.extend_from_slice(name);
        self.strings.push(0);
        self.prop_at(offset, value)
    }

    /// Appends `FDT_PROP` whose name is at `name_offset` of the strings.
    pub(crate) fn prop_at(&mut self, name_offset: u32, value: &[u8]) -> &mut Self {
        self.word(3)
            .word(u32::try_from(value.len()).unwrap())
            .word(name_offset);
        self.structure.extend_from_slice(value);
        self.pad()
    }

    /// Appends `FDT_END_NODE`.
    pub(crate) fn end_node(&mut self) -> &mut Self {
        self.word(2)
    }

    /// Appends `FDT_NOP`.
    pub(crate) fn nop(&mut self) -> &mut Self {
        self.word(4)
    }

    /// Appends `FDT_END`.
    pub(crate) fn end(&mut self) -> &mut Self {
        self.word(9)
    }

    fn pad(&mut self) -> &mut Self {
        while !self.structure.len().is_multiple_of(4) {
            self.structure.push(0);
        }
        self
    }

    /// A whole version 17 blob: header, reservations, structure, strings.
    pub(crate) fn blob(&self, reservations: &[(u64, u64)]) -> Vec<u8> {
        let rsvmap_offset = 40usize;
        let struct_offset = rsvmap_offset + 16 * (reservations.len() + 1);
        let strings_offset = struct_offset + self.structure.len();
        let total = strings_offset + self.strings.len();
        let fields = [
            0xd00d_feed,
            total,
            struct_offset,
            strings_offset,
            rsvmap_offset,
            17,
            16,
            0,
            self.strings.len(),
            self.structure.len(),
        ];
        let mut blob = Vec::new();
        for field in fields {
            blob.extend_from_slice(&u32::try_from(field).unwrap().to_be_bytes());
        }
        for &(address, size) in reservations.iter().chain(&[(0, 0)]) {
            blob.extend_from_slice(&address.to_be_bytes());
            blob.extend_from_slice(&size.to_be_bytes());
        }
        blob.extend_from_slice(&self.structure);
        blob.extend_from_slice(&self.strings);
        blob
    }
}

/// The smallest valid tree: an empty root.
pub(crate) fn empty_root() -> Raw {
    let mut raw = Raw::default();
    raw.begin(b"").end_node().end();
    raw
}

/// Writes big-endian `value` at field `index` of a blob's header.
pub(crate) fn set_field(blob: &mut [u8], index: usize, value: u32) {
    blob[4 * index..4 * index + 4].copy_from_slice(&value.to_be_bytes());
}
