//! Building the system from its description: every component's address
//! space, CSpace and thread, its endpoint and bound notification, the
//! channels between components as badged capabilities, interrupts bound
//! to notifications, memory regions and devices mapped, and each
//! component's info page; then every component is started.
//!
//! The conventions the components rely on (address layout, CSpace slots,
//! badges, the info page) are in `tessera-component-info`; the whole
//! model is in `docs/components.md`. Nothing starts until everything is
//! built, so a failure leaves no component half-made and running.

mod error;
mod info_page;
mod memory;
mod wiring;

use heapless::Vec;
use tessera_bootarchive::Archive;
use tessera_elf::Program;
use tessera_rt::abi::{BootInfo, CPtr, ObjectType, PAGE_BITS, Rights, VmAttributes};
use tessera_rt::alloc::{Resources, UntypedAllocator};
use tessera_rt::component_info::layout::{AddressSpace, HEAP_BASE, INFO_VADDR, LayoutError, Use};
use tessera_rt::component_info::slots;
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::process::{self, Spawn};
use tessera_sysdesc::{MAX_COMPONENTS, MAX_DEVICES, MAX_MAPPINGS, System};

pub use error::BuildError;
use error::{Context, Entry, Why};

/// Where the rootserver maps what it maps for itself (scratch pages), away
/// from its image and from what the kernel placed.
const VA_BASE: u64 = 0x0000_0010_0000_0000;
const VA_SIZE: u64 = 1 << 30;
const PAGE: u64 = 1 << PAGE_BITS;

/// A component's objects, as capabilities in the rootserver's CSpace.
#[derive(Clone, Copy, Debug)]
pub struct Built {
    pub tcb: CPtr,
    pub cnode: CPtr,
    pub vspace: CPtr,
    pub endpoint: CPtr,
    pub notification: CPtr,
}

/// The running system: its components (in description order), the
/// endpoint their faults arrive on (badge: component index + 1), and the
/// rootserver's own console channel, if the system has a console server.
pub struct Running {
    pub components: Vec<Built, MAX_COMPONENTS>,
    pub fault_ep: CPtr,
    pub console: Option<Console>,
}

/// The rootserver's console channel: an endpoint capability to the console
/// server (`System::console_server`), badged for the server's local id of
/// its channel `rootserver_console` (`tessera_rt::console::ROOTSERVER_CHANNEL`).
#[derive(Clone, Copy, Debug)]
pub struct Console {
    /// The server's index in the description.
    pub server: usize,
    /// The capability, in the rootserver's CSpace.
    pub cap: CPtr,
}

/// Where each mapping (by index into `System::mappings`) and each device
/// went in its component's address space.
pub struct Placement {
    pub mappings: [u64; MAX_MAPPINGS],
    pub devices: [u64; MAX_DEVICES],
}

/// Builds and starts every component of `system`.
pub fn build<'a>(
    info: &BootInfo,
    archive: &Archive<'a>,
    system: &System<'a>,
) -> Result<Running, BuildError<'a>> {
    let mut res = Resources::rootserver(info, info.empty, (VA_BASE, VA_BASE + VA_SIZE));
    let mut devices = UntypedAllocator::devices_from_boot_info(info);
    let scratch = res
        .reserve_va(1, PAGE_BITS)
        .at(Entry::System, "reserving a scratch page")?;
    // Fixed physical addresses first: the Untypeds covering them must still
    // be unused.
    let mut frames = memory::Frames::default();
    memory::carve_fixed(&mut res, &mut devices, system, &mut frames)?;
    memory::allocate_regions(&mut res, system, &mut frames)?;
    let fault_ep = res
        .alloc(ObjectType::Endpoint, 0)
        .at(Entry::System, "making the fault endpoint")?;

    let mut placement = Placement {
        mappings: [0; MAX_MAPPINGS],
        devices: [0; MAX_DEVICES],
    };
    let mut components = Vec::new();
    for index in 0..system.components.len() {
        // Addresses first: a fixed one that clashes stops the build before
        // anything is loaded.
        place(system, index, archive, &mut placement)?;
        let built = make_component(&mut res, archive, system, index, scratch, fault_ep)?;
        // The Vec holds MAX_COMPONENTS, as many as a System has.
        let _ = components.push(built);
    }
    wiring::channels(&mut res, system, &components)?;
    wiring::interrupts(&mut res, system, &components)?;
    let console_end = rootserver_console_end(system);
    let console = match console_end {
        Some((server, id)) => Some(Console {
            server,
            cap: wiring::rootserver_console(&mut res, system, &components, server, id)?,
        }),
        None => None,
    };
    memory::map_regions(&mut res, system, &components, &frames, &placement)?;
    memory::map_devices(&mut res, system, &components, &frames, &placement)?;
    for (index, built) in components.iter().enumerate() {
        let console_id = console_end.filter(|&(s, _)| s == index).map(|(_, id)| id);
        info_page::write(
            &mut res, system, index, built, &placement, scratch, console_id,
        )?;
    }
    for (c, built) in system.components.iter().zip(&components) {
        tcb::resume(built.tcb).at(Entry::Component(c.name), "starting it")?;
    }
    Ok(Running {
        components,
        fault_ep,
        console,
    })
}

/// The console server and its local id for the rootserver's console
/// channel: the id after its description channels and interrupts. With no
/// console server, or no id left (all 63 in use: said here, once), the
/// rootserver keeps printing on the kernel's debug console.
fn rootserver_console_end(system: &System<'_>) -> Option<(usize, u8)> {
    let server = system.console_server()?;
    let id = system.ends_of(server).count();
    let free = u8::try_from(id)
        .ok()
        .filter(|&id| usize::from(id) < tessera_rt::component_info::MAX_LOCAL_IDS);
    let server = usize::from(server);
    if free.is_none() {
        tessera_rt::println!(
            "rootserver: console server {} has no local id left for {}; the rootserver keeps the kernel's debug console",
            system.components[server].name,
            tessera_rt::console::ROOTSERVER_CHANNEL
        );
    }
    Some((server, free?))
}

/// Loads component `index`'s program and gives it its thread, CSpace,
/// endpoint, bound notification, fault endpoint and heap.
fn make_component<'a>(
    res: &mut Resources,
    archive: &Archive<'a>,
    system: &System<'a>,
    index: usize,
    scratch: u64,
    fault_ep: CPtr,
) -> Result<Built, BuildError<'a>> {
    let c = &system.components[index];
    let entry = Entry::Component(c.name);
    let image = program_image(archive, system, index)?;
    let spawn = Spawn {
        image,
        priority: u64::from(c.priority),
        core: u64::from(c.core),
        cnode_bits: u64::from(slots::CNODE_BITS),
        argument: INFO_VADDR,
        stack_size: c.stack_size,
        fault_ep: slots::FAULT_ENDPOINT,
        scratch_va: scratch,
    };
    let process = process::spawn(res, &spawn).at(entry, "loading its program")?;
    let endpoint = res
        .alloc(ObjectType::Endpoint, 0)
        .at(entry, "making its endpoint")?;
    let notification = res
        .alloc(ObjectType::Notification, 0)
        .at(entry, "making its notification")?;
    let own = |slot| cnode::Slot {
        root: process.cnode,
        index: slot,
        depth: u64::from(slots::CNODE_BITS),
    };
    let root = res.cnode;
    let mine = |cap| cnode::Slot::new(root, cap);
    cnode::copy(own(slots::ENDPOINT), mine(endpoint), Rights::READ)
        .at(entry, "giving it its endpoint")?;
    cnode::copy(own(slots::NOTIFICATION), mine(notification), Rights::READ)
        .at(entry, "giving it its notification")?;
    tcb::bind_notification(process.tcb, notification).at(entry, "binding its notification")?;
    let badge = index as u64 + 1;
    let fault_rights = Rights::WRITE | Rights::GRANT_REPLY;
    cnode::mint(
        own(slots::FAULT_ENDPOINT),
        mine(fault_ep),
        fault_rights,
        badge,
    )
    .at(entry, "giving it its fault endpoint")?;
    let heap = VmAttributes::CACHEABLE | VmAttributes::EXECUTE_NEVER;
    for page in 0..c.heap_size / PAGE {
        let vaddr = HEAP_BASE + page * PAGE;
        res.map_new_page_with(process.vspace, vaddr, Rights::READ_WRITE, heap)
            .at(entry, "mapping its heap")?;
    }
    Ok(Built {
        tcb: process.tcb,
        cnode: process.cnode,
        vspace: process.vspace,
        endpoint,
        notification,
    })
}

/// Component `index`'s program image from the boot archive.
fn program_image<'a>(
    archive: &Archive<'a>,
    system: &System<'a>,
    index: usize,
) -> Result<&'a [u8], BuildError<'a>> {
    let c = &system.components[index];
    match archive.get(c.program) {
        Some(e) => Ok(e.data),
        None => Err(BuildError {
            entry: Entry::Component(c.name),
            doing: "loading its program",
            component: None,
            why: Why::NoProgram(c.program),
        }),
    }
}

/// Chooses the address of every mapping and device of component `index`:
/// fixed ones are checked against its layout, the others picked.
fn place<'a>(
    system: &System<'a>,
    index: usize,
    archive: &Archive<'a>,
    placement: &mut Placement,
) -> Result<(), BuildError<'a>> {
    let c = &system.components[index];
    let entry = Entry::Component(c.name);
    let image = program_image(archive, system, index)?;
    let program = Program::parse(image)
        .map_err(process::SpawnError::Elf)
        .at(entry, "loading its program")?;
    let laid_out = AddressSpace::new(program.extent(), c.stack_size, c.heap_size);
    let mut space = laid_out.map_err(|error| BuildError {
        entry,
        doing: "laying out its address space",
        component: None,
        why: Why::Layout { vaddr: None, error },
    })?;
    let areas = areas_of(system, index);
    // Fixed addresses first, so that picked ones avoid them.
    for fixed in [true, false] {
        for (area, vaddr, size) in areas.clone() {
            if vaddr.is_some() != fixed {
                continue;
            }
            let placed = match vaddr {
                Some(v) => space.reserve(v, size, Use::Area(area)).map(|()| v),
                None => space.pick(size, Use::Area(area)),
            };
            let at = placed.map_err(|error| BuildError {
                entry: area_entry(system, area),
                doing: "placing it in the address space",
                component: Some(c.name),
                why: match error {
                    LayoutError::Overlaps(Use::Area(other)) => Why::Overlaps {
                        vaddr: vaddr.unwrap_or_default(),
                        with: area_entry(system, other),
                    },
                    error => Why::Layout { vaddr, error },
                },
            })?;
            match area.checked_sub(MAX_MAPPINGS) {
                None => placement.mappings[area] = at,
                Some(device) => placement.devices[device] = at,
            }
        }
    }
    Ok(())
}

/// Component `index`'s areas: (mapping index, or `MAX_MAPPINGS` + device
/// index; fixed vaddr; size).
fn areas_of<'s>(
    system: &'s System<'_>,
    index: usize,
) -> impl Iterator<Item = (usize, Option<u64>, u64)> + Clone + 's {
    let maps = system.mappings.iter().enumerate();
    let maps = maps
        .filter(move |(_, m)| usize::from(m.component) == index)
        .map(|(k, m)| {
            let size = system.regions[usize::from(m.region)].size;
            (k, m.vaddr, size)
        });
    let devices = system.devices.iter().enumerate();
    let devices = devices
        .filter(move |(_, d)| usize::from(d.component) == index)
        .map(|(k, d)| (MAX_MAPPINGS + k, d.vaddr, d.size));
    maps.chain(devices)
}

/// The entry of area `area` (as numbered by [`areas_of`]).
fn area_entry<'a>(system: &System<'a>, area: usize) -> Entry<'a> {
    match area.checked_sub(MAX_MAPPINGS) {
        None => Entry::Region(system.regions[usize::from(system.mappings[area].region)].name),
        Some(d) => Entry::Device(system.devices[d].name),
    }
}

impl From<LayoutError> for Why<'_> {
    fn from(error: LayoutError) -> Self {
        Why::Layout { vaddr: None, error }
    }
}
