//! Memory regions and devices: their frames (carved at fixed physical
//! addresses, or allocated anywhere) and their mappings into components.

use tessera_rt::abi::{CPtr, PAGE_BITS, Rights, VmAttributes};
use tessera_rt::alloc::carve::carve_frame;
use tessera_rt::alloc::{AllocError, Resources, UntypedAllocator};
use tessera_rt::invoke::cnode;
use tessera_sysdesc::{MAX_DEVICES, MAX_REGIONS, System};

use super::error::{BuildError, Context, Entry, Why};
use super::{Built, Placement};

const PAGE: u64 = 1 << PAGE_BITS;

/// The frames of each region and device: `count` frame capabilities in
/// consecutive slots from `first`.
pub struct Frames {
    regions: [(CPtr, u64); MAX_REGIONS],
    devices: [(CPtr, u64); MAX_DEVICES],
}

impl Default for Frames {
    fn default() -> Self {
        Self {
            regions: [(0, 0); MAX_REGIONS],
            devices: [(0, 0); MAX_DEVICES],
        }
    }
}

/// Carves the frames of regions with a fixed physical address (from RAM
/// Untypeds) and of devices (from device Untypeds). Call it before anything
/// else is allocated.
pub fn carve_fixed<'a>(
    res: &mut Resources,
    devices: &mut UntypedAllocator,
    system: &System<'a>,
    frames: &mut Frames,
) -> Result<(), BuildError<'a>> {
    for (i, r) in system.regions.iter().enumerate() {
        if let Some(paddr) = r.phys_addr {
            let entry = Entry::Region(r.name);
            frames.regions[i] = carve_range(res, None, paddr, r.size, entry)?;
        }
    }
    for (i, d) in system.devices.iter().enumerate() {
        let entry = Entry::Device(d.name);
        frames.devices[i] = carve_range(res, Some(&mut *devices), d.phys_addr, d.size, entry)?;
    }
    Ok(())
}

/// Frames for `size` bytes at `paddr`, from `pool` (RAM if `None`), in
/// consecutive slots.
fn carve_range<'a>(
    res: &mut Resources,
    mut pool: Option<&mut UntypedAllocator>,
    paddr: u64,
    size: u64,
    entry: Entry<'a>,
) -> Result<(CPtr, u64), BuildError<'a>> {
    let count = size / PAGE;
    let first = res
        .slots
        .alloc_range(count)
        .map_err(AllocError::from)
        .at(entry, "taking slots for its frames")?;
    for page in 0..count {
        let at = paddr + page * PAGE;
        let pool = match pool.as_deref_mut() {
            Some(devices) => devices,
            None => &mut res.untyped,
        };
        let frame =
            carve_frame(pool, &mut res.slots, res.cnode, at).map_err(|error| BuildError {
                entry,
                doing: "taking its physical memory",
                component: None,
                why: Why::Carve { paddr: at, error },
            })?;
        let slot = |i| cnode::Slot::new(res.cnode, i);
        cnode::move_(slot(first + page), slot(frame)).at(entry, "moving its frames")?;
        res.slots.free(frame);
    }
    Ok((first, count))
}

/// Allocates the frames of regions placed anywhere in RAM.
pub fn allocate_regions<'a>(
    res: &mut Resources,
    system: &System<'a>,
    frames: &mut Frames,
) -> Result<(), BuildError<'a>> {
    for (i, r) in system.regions.iter().enumerate() {
        if r.phys_addr.is_some() {
            continue;
        }
        let entry = Entry::Region(r.name);
        let count = r.size / PAGE;
        let first = res
            .slots
            .alloc_range(count)
            .map_err(AllocError::from)
            .at(entry, "taking slots for its frames")?;
        for page in 0..count {
            let ty = tessera_rt::abi::ObjectType::Frame4K;
            res.untyped
                .retype(ty, 0, res.cnode, first + page)
                .at(entry, "allocating its frames")?;
        }
        frames.regions[i] = (first, count);
    }
    Ok(())
}

fn rights(write: bool) -> Rights {
    if write {
        Rights::READ_WRITE
    } else {
        Rights::READ
    }
}

/// Maps every region into the components that name it, each mapping
/// through its own copies of the frame capabilities.
pub fn map_regions<'a>(
    res: &mut Resources,
    system: &System<'a>,
    built: &[Built],
    frames: &Frames,
    placement: &Placement,
) -> Result<(), BuildError<'a>> {
    for (k, m) in system.mappings.iter().enumerate() {
        let region = &system.regions[usize::from(m.region)];
        let component = system.components[usize::from(m.component)].name;
        let entry = Entry::Region(region.name);
        let (first, count) = frames.regions[usize::from(m.region)];
        let rights = rights(m.rights.write);
        let mut attrs = VmAttributes::empty();
        if region.cacheable {
            attrs |= VmAttributes::CACHEABLE;
        }
        if !m.rights.execute {
            attrs |= VmAttributes::EXECUTE_NEVER;
        }
        let vspace = built[usize::from(m.component)].vspace;
        for page in 0..count {
            let copy = res.slots.alloc().map_err(AllocError::from).at_for(
                entry,
                "mapping it",
                component,
            )?;
            let slot = |i| cnode::Slot::new(res.cnode, i);
            cnode::copy(slot(copy), slot(first + page), rights).at_for(
                entry,
                "mapping it",
                component,
            )?;
            let vaddr = placement.mappings[k] + page * PAGE;
            res.map_frame_with(copy, vspace, vaddr, rights, attrs)
                .at_for(entry, "mapping it", component)?;
        }
    }
    Ok(())
}

/// Maps every device into its component (device memory: uncached,
/// never executable).
pub fn map_devices<'a>(
    res: &mut Resources,
    system: &System<'a>,
    built: &[Built],
    frames: &Frames,
    placement: &Placement,
) -> Result<(), BuildError<'a>> {
    for (k, d) in system.devices.iter().enumerate() {
        let component = system.components[usize::from(d.component)].name;
        let entry = Entry::Device(d.name);
        let (first, count) = frames.devices[k];
        let vspace = built[usize::from(d.component)].vspace;
        for page in 0..count {
            let vaddr = placement.devices[k] + page * PAGE;
            let attrs = VmAttributes::EXECUTE_NEVER;
            res.map_frame_with(first + page, vspace, vaddr, rights(d.rights.write), attrs)
                .at_for(entry, "mapping it", component)?;
        }
    }
    Ok(())
}
