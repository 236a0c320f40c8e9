//! Reading entries of the program header table.
//!
//! The table is kept as the bytes of the file and each entry is decoded
//! when the loop over it reaches it, so no table has to be copied and
//! parsing needs no allocator whatever `e_phnum` says.

use crate::ElfError;
use crate::read::{u32_at, u64_at};

/// Size of an ELF64 program header; the only `e_phentsize` accepted.
pub(crate) const PHDR_SIZE: u16 = 56;

/// `p_type` of a loadable segment.
pub(crate) const PT_LOAD: u32 = 1;
/// `p_type` of a request for a dynamic loader.
pub(crate) const PT_INTERP: u32 = 3;
/// `p_flags` bit for execute permission.
pub(crate) const PF_X: u32 = 1;
/// `p_flags` bit for write permission.
pub(crate) const PF_W: u32 = 2;
/// `p_flags` bit for read permission.
pub(crate) const PF_R: u32 = 4;

/// One ELF64 program header, field for field (`p_paddr` is not used).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProgramHeader {
    /// `p_type`.
    pub(crate) p_type: u32,
    /// `p_flags`.
    pub(crate) p_flags: u32,
    /// `p_offset`.
    pub(crate) p_offset: u64,
    /// `p_vaddr`.
    pub(crate) p_vaddr: u64,
    /// `p_filesz`.
    pub(crate) p_filesz: u64,
    /// `p_memsz`.
    pub(crate) p_memsz: u64,
    /// `p_align`.
    pub(crate) p_align: u64,
}

impl ProgramHeader {
    /// Decodes one entry, or `None` if `entry` is shorter than
    /// [`PHDR_SIZE`] bytes.
    fn read(entry: &[u8]) -> Option<Self> {
        Some(Self {
            p_type: u32_at(entry, 0)?,
            p_flags: u32_at(entry, 4)?,
            p_offset: u64_at(entry, 8)?,
            p_vaddr: u64_at(entry, 16)?,
            p_filesz: u64_at(entry, 32)?,
            p_memsz: u64_at(entry, 40)?,
            p_align: u64_at(entry, 48)?,
        })
    }
}

/// A program header table that lies inside the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProgramHeaders<'a> {
    /// The table's bytes, a whole number of [`PHDR_SIZE`]-byte entries.
    table: &'a [u8],
}

impl<'a> ProgramHeaders<'a> {
    /// A table with no entries, for files that declare none.
    pub(crate) const EMPTY: ProgramHeaders<'static> = ProgramHeaders { table: &[] };

    /// Wraps the bytes of a table that has been bounds-checked against
    /// the file and whose length is a multiple of [`PHDR_SIZE`].
    pub(crate) const fn new(table: &'a [u8]) -> Self {
        Self { table }
    }

    /// The entries in table order.
    ///
    /// An entry that cannot be decoded is reported as a bad table. That
    /// cannot happen for a table built by [`new`](Self::new), but it keeps
    /// the decoding free of panics without relying on that.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<ProgramHeader, ElfError>> + 'a {
        let chunks = self.table.chunks(usize::from(PHDR_SIZE));
        chunks.map(|entry| ProgramHeader::read(entry).ok_or(ElfError::BadProgramHeaderTable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program header with every field distinct, as bytes.
    fn sample() -> [u8; 56] {
        let mut bytes = [0u8; 56];
        let fields: [(usize, &[u8]); 8] = [
            (0, &PT_LOAD.to_le_bytes()),
            (4, &(PF_R | PF_X).to_le_bytes()),
            (8, &0x1000u64.to_le_bytes()),
            (16, &0x40_1000u64.to_le_bytes()),
            (24, &0xdead_beefu64.to_le_bytes()),
            (32, &0x123u64.to_le_bytes()),
            (40, &0x456u64.to_le_bytes()),
            (48, &0x1000u64.to_le_bytes()),
        ];
        for (at, value) in fields {
            if let Some(slot) = bytes.get_mut(at..at + value.len()) {
                slot.copy_from_slice(value);
            }
        }
        bytes
    }

    #[test]
    fn decodes_every_field() {
        let header = ProgramHeader::read(&sample());
        let expected = ProgramHeader {
            p_type: PT_LOAD,
            p_flags: PF_R | PF_X,
            p_offset: 0x1000,
            p_vaddr: 0x40_1000,
            p_filesz: 0x123,
            p_memsz: 0x456,
            p_align: 0x1000,
        };
        assert_eq!(header, Some(expected));
    }

    #[test]
    fn short_entries_are_refused() {
        let bytes = sample();
        assert_eq!(ProgramHeader::read(bytes.get(..55).unwrap_or(&[])), None);
        // A table whose length is not a whole number of entries reports
        // the partial last entry rather than dropping it.
        let mut table = [0u8; 60];
        if let Some(first) = table.get_mut(..56) {
            first.copy_from_slice(&bytes);
        }
        let mut entries = ProgramHeaders::new(&table).iter();
        assert!(entries.next().is_some_and(|e| e.is_ok()));
        assert_eq!(entries.next(), Some(Err(ElfError::BadProgramHeaderTable)));
        assert_eq!(entries.next(), None);
    }
}
