//! Property tests of `Mapper` against a model: a list of accepted mappings.

mod common;

use common::{MIB, TestAllocator, mapper};
use proptest::prelude::*;
use tessera_paging::{
    Access, Attributes, MapError, MemoryType, PAGE_SIZE, PhysAddr, VaRange, VirtAddr,
};

/// Pages in the window that requests fall in: 16 MiB.
const WINDOW_PAGES: u64 = 4096;
/// Where the window starts in the half: at 0, across a level-0 boundary,
/// and at the very top of the half.
const WINDOW_OFFSETS: [u64; 3] = [0, 0x7f_ff80_0000, 0xffff_ff00_0000];
/// An offset in the half that no window reaches, for OutOfTables requests.
const FAR_OFFSET: u64 = 0x4000_0000_0000;

/// One past the highest offset in a half.
const HALF: u64 = 1 << 48;

/// A mapping request, and so also a model entry once accepted. `va` is an
/// offset from the base of the half.
#[derive(Clone, Copy, Debug)]
struct Request {
    va: u64,
    pa: u64,
    size: u64,
    attributes: Attributes,
}

impl Request {
    fn end(&self) -> u64 {
        self.va + self.size
    }

    fn overlaps(&self, other: &Request) -> bool {
        self.va < other.end() && other.va < self.end()
    }

    fn pages(&self) -> impl Iterator<Item = (u64, u64)> {
        let (va, pa) = (self.va, self.pa);
        (0..self.size / PAGE_SIZE).map(move |i| (va + i * PAGE_SIZE, pa + i * PAGE_SIZE))
    }
}

fn attributes() -> impl Strategy<Value = Attributes> {
    let memory = prop_oneof![
        Just(MemoryType::Device),
        Just(MemoryType::Normal),
        Just(MemoryType::NormalNonCacheable),
        Just(MemoryType::DeviceStrict),
    ];
    let access = prop_oneof![
        Just(Access::KernelRead),
        Just(Access::KernelReadWrite),
        Just(Access::UserRead),
        Just(Access::UserReadWrite),
    ];
    (memory, access, any::<[bool; 3]>()).prop_map(|(memory, access, [kx, ux, global])| Attributes {
        memory,
        access,
        kernel_exec: kx,
        user_exec: ux,
        global,
    })
}

/// Rounds `page` down to a 2 MiB boundary when `block` is set, so that
/// blocks get used.
fn page_address(page: u64, block: bool) -> u64 {
    let address = page * PAGE_SIZE;
    if block {
        address & !(2 * MIB - 1)
    } else {
        address
    }
}

/// A request within the window at offset `base`.
fn request(base: u64) -> impl Strategy<Value = Request> {
    let pages = prop_oneof![1..=8u64, 1..=1100u64];
    let va = (0..WINDOW_PAGES, any::<bool>());
    let pa = (0..(1u64 << 20), any::<bool>());
    (va, pa, pages, attributes()).prop_map(move |((vp, vb), (pp, pb), pages, attributes)| {
        let size = (pages * PAGE_SIZE).min(WINDOW_PAGES * PAGE_SIZE - page_address(vp, vb));
        Request {
            va: base + page_address(vp, vb),
            pa: page_address(pp, pb),
            size,
            attributes,
        }
    })
}

/// A half, and requests within one window of it.
fn scenario() -> impl Strategy<Value = (VaRange, Vec<Request>)> {
    let range = prop_oneof![Just(VaRange::Lower), Just(VaRange::Upper)];
    let requests = prop::sample::select(&WINDOW_OFFSETS[..])
        .prop_flat_map(|offset| prop::collection::vec(request(offset), 1..8));
    (range, requests)
}

/// The result `map` must give for `request` given the accepted `model`,
/// with offsets from `base`.
fn expected(base: u64, model: &[Request], request: &Request) -> Result<(), MapError> {
    if request.attributes.to_bits().is_err() {
        return Err(MapError::BadAttributes);
    }
    let first = model
        .iter()
        .filter(|m| m.overlaps(request))
        .map(|m| m.va.max(request.va))
        .min();
    match first {
        Some(va) => Err(MapError::AlreadyMapped {
            va: VirtAddr::new(base + va),
        }),
        None => Ok(()),
    }
}

/// A tree under test with its model.
struct Harness {
    allocator: TestAllocator,
    root: PhysAddr,
    range: VaRange,
    model: Vec<Request>,
}

impl Harness {
    fn new(range: VaRange) -> Self {
        let mut allocator = TestAllocator::unlimited();
        let root = allocator.new_root();
        Self {
            allocator,
            root,
            range,
            model: Vec::new(),
        }
    }

    fn va(&self, offset: u64) -> VirtAddr {
        VirtAddr::new(self.range.base().as_u64() + offset)
    }

    fn map(&mut self, r: &Request) -> Result<(), MapError> {
        let (va, pa) = (self.va(r.va), PhysAddr::new(r.pa));
        mapper(&mut self.allocator, self.root, self.range).map(va, pa, r.size, r.attributes)
    }

    fn unmap(&mut self, r: &Request) -> Result<(), MapError> {
        let va = self.va(r.va);
        mapper(&mut self.allocator, self.root, self.range).unmap(va, r.size)
    }

    /// Checks that every page of `r` translates as `r` says.
    fn check_mapped(&mut self, r: &Request) -> Result<(), TestCaseError> {
        let base = self.range.base().as_u64();
        let mapper = mapper(&mut self.allocator, self.root, self.range);
        for (va, pa) in r.pages() {
            let t = mapper.translate(VirtAddr::new(base + va + 0x7ff));
            let t = t.ok_or_else(|| TestCaseError::fail(format!("{va:#x} unmapped")))?;
            prop_assert_eq!(t.pa, PhysAddr::new(pa + 0x7ff));
            prop_assert_eq!(t.attributes, r.attributes);
        }
        Ok(())
    }

    /// Checks that no page of `r` is mapped.
    fn check_unmapped(&mut self, r: &Request) -> Result<(), TestCaseError> {
        let base = self.range.base().as_u64();
        let mapper = mapper(&mut self.allocator, self.root, self.range);
        for (va, _) in r.pages() {
            prop_assert_eq!(
                mapper.translate(VirtAddr::new(base + va)),
                None,
                "{:#x}",
                va
            );
        }
        Ok(())
    }

    fn check_model(&mut self) -> Result<(), TestCaseError> {
        for r in self.model.clone() {
            self.check_mapped(&r)?;
        }
        Ok(())
    }

    /// Applies `requests`, checking each result against the model.
    fn apply(&mut self, requests: &[Request]) -> Result<(), TestCaseError> {
        for r in requests {
            let want = expected(self.range.base().as_u64(), &self.model, r);
            prop_assert_eq!(self.map(r), want);
            if want.is_ok() {
                self.model.push(*r);
                self.check_mapped(r)?;
            } else {
                self.check_model()?;
            }
        }
        Ok(())
    }
}

proptest! {
    #[test]
    fn maps_translate_and_unmap_to_empty((range, requests) in scenario()) {
        let mut h = Harness::new(range);
        h.apply(&requests)?;
        h.check_model()?;
        for r in h.model.clone().iter().rev() {
            prop_assert_eq!(h.unmap(r), Ok(()));
            h.check_unmapped(r)?;
        }
        prop_assert_eq!(h.allocator.leaf_counts(h.root), [0; 4]);
        // The emptied tree takes the same mappings again without new tables.
        let tables = h.allocator.allocated();
        h.model.clear();
        h.apply(&requests)?;
        prop_assert_eq!(h.allocator.allocated(), tables);
    }

    #[test]
    fn out_of_tables_keeps_prior_mappings(
        (range, requests) in scenario(),
        extra in 0usize..4,
        far in request(FAR_OFFSET),
    ) {
        let mut h = Harness::new(range);
        h.apply(&requests)?;
        let far = Request { attributes: Attributes::kernel_data(), ..far };
        h.allocator.allow(extra);
        match h.map(&far) {
            Ok(()) => h.check_mapped(&far)?,
            Err(error) => {
                prop_assert_eq!(error, MapError::OutOfTables);
                h.check_unmapped(&far)?;
            }
        }
        h.check_model()?;
    }

    #[test]
    fn unmap_past_a_mapping_fails_without_change((range, requests) in scenario()) {
        let mut h = Harness::new(range);
        h.apply(&requests)?;
        for r in h.model.clone() {
            let end = r.end();
            let next_is_free = !h.model.iter().any(|m| m.va <= end && end < m.end());
            if end < HALF && next_is_free {
                let grown = Request { size: r.size + PAGE_SIZE, ..r };
                prop_assert_eq!(h.unmap(&grown), Err(MapError::NotMapped { va: h.va(end) }));
            }
        }
        h.check_model()?;
    }

    #[test]
    fn unmap_short_of_a_mapping_fails_only_inside_a_block((range, requests) in scenario()) {
        let mut h = Harness::new(range);
        h.apply(&requests)?;
        for r in h.model.clone().iter().filter(|r| r.size > PAGE_SIZE) {
            let shrunk = Request { size: r.size - PAGE_SIZE, ..*r };
            match h.unmap(&shrunk) {
                Ok(()) => {
                    h.check_unmapped(&shrunk)?;
                    prop_assert_eq!(h.map(&shrunk), Ok(()));
                }
                Err(error) => {
                    let last = h.va(shrunk.end() & !(2 * MIB - 1));
                    prop_assert_eq!(error, MapError::PartialBlock { va: last.max(h.va(r.va)) });
                }
            }
        }
        h.check_model()?;
    }
}
