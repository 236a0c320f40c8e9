//! A small ELF64 writer for the tests: it lays out a file header, a program
//! header table and segment bytes, and lets a test corrupt any field before
//! the bytes are produced. Written from the ELF specification's field
//! layout (System V gABI, "ELF Header" and "Program Header").

#![allow(dead_code)]

/// `p_type` of a loadable segment.
pub const PT_LOAD: u32 = 1;
/// `p_type` of an interpreter request.
pub const PT_INTERP: u32 = 3;
/// `p_type` of a note segment.
pub const PT_NOTE: u32 = 4;
/// Execute permission.
pub const PF_X: u32 = 1;
/// Write permission.
pub const PF_W: u32 = 2;
/// Read permission.
pub const PF_R: u32 = 4;
/// Page size the layout works with.
pub const PAGE: u64 = 0x1000;
/// Where the default program is linked.
pub const BASE: u64 = 0x40_0000;

/// One program header, field for field.
#[derive(Clone, Copy, Debug)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// The fields of an ELF64 file and its program headers.
#[derive(Clone, Debug)]
pub struct Builder {
    pub class: u8,
    pub data: u8,
    pub ident_version: u8,
    pub e_type: u16,
    pub machine: u16,
    pub version: u32,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    /// Overrides the program header count written to `e_phnum`.
    pub phnum: Option<u16>,
    pub phdrs: Vec<Phdr>,
    /// Length of the file; grows as segments are added.
    pub len: u64,
}

impl Builder {
    /// A file with a header and no program headers.
    pub fn empty() -> Self {
        Self {
            class: 2,
            data: 1,
            ident_version: 1,
            e_type: 2,
            machine: 183,
            version: 1,
            entry: BASE,
            phoff: 64,
            phentsize: 56,
            phnum: None,
            phdrs: Vec::new(),
            len: PAGE,
        }
    }

    /// A valid program: one read-execute segment with 256 bytes of code.
    pub fn new() -> Self {
        let mut b = Self::empty();
        b.load(BASE, 0x100, 0x100, PF_R | PF_X);
        b
    }

    /// Adds a PT_LOAD segment whose file bytes are placed on fresh pages
    /// at the end of the file, congruent to `vaddr` modulo the page size.
    pub fn load(&mut self, vaddr: u64, filesz: u64, memsz: u64, flags: u32) -> &mut Phdr {
        let offset = self.len + vaddr % PAGE;
        self.len = (offset + filesz).div_ceil(PAGE) * PAGE;
        self.phdrs.push(Phdr {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: PAGE,
        });
        self.phdrs.last_mut().unwrap()
    }

    /// Adds a header of another type with no file bytes.
    pub fn other(&mut self, p_type: u32) -> &mut Phdr {
        self.phdrs.push(Phdr {
            p_type,
            flags: PF_R,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
            align: 1,
        });
        self.phdrs.last_mut().unwrap()
    }

    /// Produces the file. Segment bytes are a pattern derived from the
    /// offset, so tests can check which bytes a segment points at.
    pub fn build(&self) -> Vec<u8> {
        let table_end = self.phoff as usize + self.phdrs.len() * 56;
        let len = (self.len as usize).max(64).max(table_end);
        let mut out: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        self.write_header(&mut out);
        for (i, p) in self.phdrs.iter().enumerate() {
            let at = self.phoff as usize + i * 56;
            write_phdr(&mut out[at..at + 56], p);
        }
        out
    }

    /// Writes the 64-byte file header at the start of `out`.
    fn write_header(&self, out: &mut [u8]) {
        out[..64].fill(0);
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = self.class;
        out[5] = self.data;
        out[6] = self.ident_version;
        put(out, 16, &self.e_type.to_le_bytes());
        put(out, 18, &self.machine.to_le_bytes());
        put(out, 20, &self.version.to_le_bytes());
        put(out, 24, &self.entry.to_le_bytes());
        put(out, 32, &self.phoff.to_le_bytes());
        put(out, 40, &0u64.to_le_bytes()); // e_shoff: no sections
        put(out, 52, &64u16.to_le_bytes()); // e_ehsize
        put(out, 54, &self.phentsize.to_le_bytes());
        let phnum = self.phnum.unwrap_or(self.phdrs.len() as u16);
        put(out, 56, &phnum.to_le_bytes());
        put(out, 58, &64u16.to_le_bytes()); // e_shentsize
    }
}

/// Writes one 56-byte program header.
fn write_phdr(out: &mut [u8], p: &Phdr) {
    put(out, 0, &p.p_type.to_le_bytes());
    put(out, 4, &p.flags.to_le_bytes());
    put(out, 8, &p.offset.to_le_bytes());
    put(out, 16, &p.vaddr.to_le_bytes());
    put(out, 24, &p.vaddr.to_le_bytes()); // p_paddr
    put(out, 32, &p.filesz.to_le_bytes());
    put(out, 40, &p.memsz.to_le_bytes());
    put(out, 48, &p.align.to_le_bytes());
}

/// Copies `bytes` into `out` at `at`.
fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    out[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Asserts every property the crate promises for an accepted program.
pub fn check_invariants(file: &[u8], program: &tessera_elf::Program<'_>) {
    let segments: Vec<_> = program.segments().collect();
    assert!((1..=tessera_elf::MAX_SEGMENTS).contains(&segments.len()));
    let entry = program.entry();
    assert_eq!(entry % 4, 0);
    assert!(
        segments
            .iter()
            .any(|s| s.flags.execute && entry >= s.vaddr && entry < s.vaddr + s.data.len() as u64)
    );
    for s in &segments {
        check_segment(file, s);
    }
    for pair in segments.windows(2) {
        let (low, high) = (&pair[0], &pair[1]);
        assert!(low.vaddr + low.mem_size <= high.vaddr, "overlap");
        if low.page_range().1 > high.page_range().0 {
            assert_eq!(low.flags, high.flags, "shared page, different flags");
        }
    }
    let (start, end) = program.extent();
    assert_eq!(start % PAGE, 0);
    assert_eq!(end % PAGE, 0);
    assert_eq!(start, segments[0].page_range().0);
    assert_eq!(
        end,
        segments.iter().map(|s| s.page_range().1).max().unwrap()
    );
}

/// Asserts the properties of one accepted segment.
fn check_segment(file: &[u8], s: &tessera_elf::Segment<'_>) {
    assert!(s.mem_size > 0);
    assert!(s.data.len() as u64 <= s.mem_size);
    let end = s.vaddr.checked_add(s.mem_size).expect("end overflows");
    assert!(end <= 1 << 48);
    let (page_start, page_end) = s.page_range();
    assert_eq!(page_start % PAGE, 0);
    assert_eq!(page_end % PAGE, 0);
    assert!(page_start <= s.vaddr && end <= page_end);
    assert!(page_end - page_start < s.mem_size + 2 * PAGE);
    // The bytes are a window of the file itself, not a copy.
    let file_start = file.as_ptr() as usize;
    let data_start = s.data.as_ptr() as usize;
    if !s.data.is_empty() {
        assert!(data_start >= file_start);
        assert!(data_start + s.data.len() <= file_start + file.len());
    }
}
