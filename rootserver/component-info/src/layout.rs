//! A component's address space:
//!
//! | from | what |
//! |---|---|
//! | [`IMAGE_BASE`] (4 MiB) | the program image (`linker/user.ld`), below [`MAP_BASE`] |
//! | [`MAP_BASE`] | memory regions and devices mapped at `vaddr = "any"`, placed by the rootserver |
//! | [`HEAP_BASE`] | the heap, `heap_size` bytes |
//! | [`STACK_TOP`] − `stack_size` | the stack (an unmapped guard page below it) |
//! | [`IPC_BUFFER`] | the IPC buffer (the page at [`STACK_TOP`] stays unmapped) |
//! | [`INFO_VADDR`] | the component-info page(s), read-only, [`INFO_SIZE`] bytes reserved |
//!
//! A region or device with a fixed `vaddr` may go anywhere that none of
//! these (nor another mapping) uses; [`AddressSpace`] checks that.

use heapless::Vec;

use crate::{ADDRESS_LIMIT, MAX_AREAS, PAGE_SIZE};

/// Where user programs are linked (`linker/user.ld`).
pub const IMAGE_BASE: u64 = 0x40_0000;
/// The first address the rootserver places mappings at.
pub const MAP_BASE: u64 = 0x5000_0000_0000;
/// The heap's address.
pub const HEAP_BASE: u64 = 0x6000_0000_0000;
/// The top of the stack (the stack grows down from here).
pub const STACK_TOP: u64 = 0x7000_0000_0000;
/// The IPC buffer's address.
pub const IPC_BUFFER: u64 = STACK_TOP + PAGE_SIZE;
/// The component-info page's address (passed to the program in x0 too).
pub const INFO_VADDR: u64 = STACK_TOP + 2 * PAGE_SIZE;
/// Bytes reserved for the component-info page(s) at [`INFO_VADDR`].
pub const INFO_SIZE: usize = 2 * PAGE_SIZE as usize;
/// The end of the runtime's fixed pages.
pub const RUNTIME_END: u64 = INFO_VADDR + INFO_SIZE as u64;

/// What a piece of the address space is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// The program image.
    Image,
    /// The heap.
    Heap,
    /// The stack, its guard page, the IPC buffer and the info page.
    Runtime,
    /// The mapping the caller numbered so (a region or device).
    Area(usize),
}

impl core::fmt::Display for Use {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Image => f.write_str("the program image"),
            Self::Heap => f.write_str("the heap"),
            Self::Runtime => f.write_str("the stack, IPC buffer and info page"),
            Self::Area(i) => write!(f, "mapping #{i}"),
        }
    }
}

/// Why an address range cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// It overlaps what is already there.
    Overlaps(Use),
    /// It is not page-aligned, empty, or leaves the 48-bit space.
    BadRange,
    /// The program image reaches [`MAP_BASE`] (or starts below 4 KiB).
    ImageTooLarge,
    /// No room left among the placed mappings.
    NoRoom,
    /// More ranges than [`AddressSpace`] keeps.
    TooMany,
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Overlaps(u) => write!(f, "overlaps {u}"),
            Self::BadRange => f.write_str("not a page-aligned range within 48 bits"),
            Self::ImageTooLarge => write!(
                f,
                "the program image must lie between 4 KiB and {MAP_BASE:#x}"
            ),
            Self::NoRoom => f.write_str("no room left for placed mappings"),
            Self::TooMany => f.write_str("too many mappings"),
        }
    }
}

/// A half-open range with its use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Taken {
    start: u64,
    end: u64,
    what: Use,
}

/// The used ranges of one component's address space.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    taken: Vec<Taken, { MAX_AREAS + 3 }>,
}

impl AddressSpace {
    /// The fixed layout of a component whose image spans `image` (start,
    /// end), with the given stack and heap sizes (whole pages).
    pub fn new(image: (u64, u64), stack_size: u64, heap_size: u64) -> Result<Self, LayoutError> {
        let (start, end) = image;
        if start < PAGE_SIZE || end > MAP_BASE || start > end {
            return Err(LayoutError::ImageTooLarge);
        }
        let stack_bottom = STACK_TOP
            .checked_sub(stack_size)
            .and_then(|b| b.checked_sub(PAGE_SIZE))
            .filter(|&b| b >= HEAP_BASE + heap_size)
            .ok_or(LayoutError::BadRange)?;
        let mut space = Self { taken: Vec::new() };
        space.take(start, end, Use::Image)?;
        if heap_size > 0 {
            space.take(HEAP_BASE, HEAP_BASE + heap_size, Use::Heap)?;
        }
        space.take(stack_bottom, RUNTIME_END, Use::Runtime)?;
        Ok(space)
    }

    fn take(&mut self, start: u64, end: u64, what: Use) -> Result<(), LayoutError> {
        if let Some(t) = self.taken.iter().find(|t| start < t.end && t.start < end) {
            return Err(LayoutError::Overlaps(t.what));
        }
        self.taken
            .push(Taken { start, end, what })
            .map_err(|_| LayoutError::TooMany)
    }

    /// Claims `size` bytes at the fixed address `vaddr` for `what`.
    pub fn reserve(&mut self, vaddr: u64, size: u64, what: Use) -> Result<(), LayoutError> {
        let end = range_end(vaddr, size).ok_or(LayoutError::BadRange)?;
        self.take(vaddr, end, what)
    }

    /// Picks an address for `size` bytes from [`MAP_BASE`] up, below
    /// [`HEAP_BASE`], leaving an unmapped page after each placed mapping.
    pub fn pick(&mut self, size: u64, what: Use) -> Result<u64, LayoutError> {
        range_end(MAP_BASE, size).ok_or(LayoutError::BadRange)?;
        let mut at = MAP_BASE;
        loop {
            let end = at.checked_add(size).ok_or(LayoutError::NoRoom)?;
            if end > HEAP_BASE {
                return Err(LayoutError::NoRoom);
            }
            // The guard page counts as part of the range when looking for
            // a clash, not when recording it.
            let guarded = end + PAGE_SIZE;
            match self.taken.iter().find(|t| at < t.end && t.start < guarded) {
                Some(t) => at = t.end.next_multiple_of(PAGE_SIZE) + PAGE_SIZE,
                None => {
                    self.take(at, end, what)?;
                    return Ok(at);
                }
            }
        }
    }
}

/// `vaddr + size` if the range is page-aligned, non-empty and within 48
/// bits.
fn range_end(vaddr: u64, size: u64) -> Option<u64> {
    let end = vaddr.checked_add(size)?;
    (vaddr.is_multiple_of(PAGE_SIZE)
        && size.is_multiple_of(PAGE_SIZE)
        && size > 0
        && end <= ADDRESS_LIMIT)
        .then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: (u64, u64) = (IMAGE_BASE, IMAGE_BASE + 0x8000);

    #[test]
    fn the_fixed_parts_do_not_overlap() {
        const { assert!(MAP_BASE < HEAP_BASE && HEAP_BASE < STACK_TOP) };
        const { assert!(INFO_VADDR.is_multiple_of(PAGE_SIZE) && RUNTIME_END < ADDRESS_LIMIT) };
        assert!(AddressSpace::new(IMAGE, 1 << 20, 256 << 20).is_ok());
    }

    #[test]
    fn fixed_mappings_may_not_hit_the_layout() {
        let mut s = AddressSpace::new(IMAGE, 0x4000, 0x10000).unwrap();
        assert_eq!(
            s.reserve(IMAGE_BASE + 0x7000, 0x1000, Use::Area(0)),
            Err(LayoutError::Overlaps(Use::Image))
        );
        assert_eq!(
            s.reserve(HEAP_BASE + 0xf000, 0x2000, Use::Area(0)),
            Err(LayoutError::Overlaps(Use::Heap))
        );
        // The guard page below the stack is the runtime's too.
        assert_eq!(
            s.reserve(STACK_TOP - 0x5000, 0x1000, Use::Area(0)),
            Err(LayoutError::Overlaps(Use::Runtime))
        );
        assert_eq!(
            s.reserve(INFO_VADDR, 0x1000, Use::Area(0)),
            Err(LayoutError::Overlaps(Use::Runtime))
        );
        assert_eq!(s.reserve(0x1000_0000, 0x1000, Use::Area(0)), Ok(()));
        assert_eq!(
            s.reserve(0x1000_0000, 0x1000, Use::Area(1)),
            Err(LayoutError::Overlaps(Use::Area(0)))
        );
        assert_eq!(
            s.reserve(0x1001, 0x1000, Use::Area(1)),
            Err(LayoutError::BadRange)
        );
        assert_eq!(
            s.reserve(ADDRESS_LIMIT - 0x1000, 0x2000, Use::Area(1)),
            Err(LayoutError::BadRange)
        );
    }

    #[test]
    fn picked_addresses_skip_fixed_ones_and_keep_a_gap() {
        let mut s = AddressSpace::new(IMAGE, 0x4000, 0).unwrap();
        s.reserve(MAP_BASE + 0x2000, 0x1000, Use::Area(0)).unwrap();
        // Two pages do not fit below the fixed page with a guard page;
        // one does.
        assert_eq!(s.pick(0x2000, Use::Area(1)), Ok(MAP_BASE + 0x4000));
        assert_eq!(s.pick(0x1000, Use::Area(2)), Ok(MAP_BASE));
        assert_eq!(s.pick(0x1000, Use::Area(3)), Ok(MAP_BASE + 0x7000));
        assert_eq!(
            s.pick(HEAP_BASE - MAP_BASE, Use::Area(4)),
            Err(LayoutError::NoRoom)
        );
        assert_eq!(s.pick(0x1234, Use::Area(4)), Err(LayoutError::BadRange));
    }

    #[test]
    fn images_must_stay_below_the_mappings() {
        assert_eq!(
            AddressSpace::new((IMAGE_BASE, MAP_BASE + 1), 0x4000, 0).unwrap_err(),
            LayoutError::ImageTooLarge
        );
        assert_eq!(
            AddressSpace::new((0, 0x1000), 0x4000, 0).unwrap_err(),
            LayoutError::ImageTooLarge
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let mut s = AddressSpace::new(IMAGE, 0x4000, 0x1000).unwrap();
        for i in 0..MAX_AREAS {
            s.pick(0x1000, Use::Area(i)).unwrap();
        }
        assert_eq!(
            s.pick(0x1000, Use::Area(MAX_AREAS)),
            Err(LayoutError::TooMany)
        );
    }
}
