//! Each component's info page: what it is told about itself, written into
//! fresh frames and mapped read-only at `INFO_VADDR`.

use tessera_rt::abi::{ObjectType, PAGE_BITS, Rights, VmAttributes};
use tessera_rt::alloc::Resources;
use tessera_rt::component_info::layout::{HEAP_BASE, INFO_SIZE, INFO_VADDR};
use tessera_rt::component_info::{
    AreaInfo, AreaKind, ChannelInfo, ChannelKind, ComponentInfo, InterruptInfo, Role, slots,
};
use tessera_rt::process;
use tessera_sysdesc::{End, System};

use super::error::{BuildError, Context, Entry, Why};
use super::{Built, Placement};

const PAGE: usize = 1 << PAGE_BITS;

/// Where a page is encoded before it is copied into its frames (kept out
/// of the rootserver's stack).
static PAGE_BUFFER: spin::Mutex<[u8; INFO_SIZE]> = spin::Mutex::new([0; INFO_SIZE]);

/// Writes and maps component `index`'s info page.
pub fn write<'a>(
    res: &mut Resources,
    system: &System<'a>,
    index: usize,
    built: &Built,
    placement: &Placement,
    scratch: u64,
    console_id: Option<u8>,
) -> Result<(), BuildError<'a>> {
    let c = &system.components[index];
    let entry = Entry::Component(c.name);
    let info = describe(system, index, placement, console_id).at(entry, "describing it")?;
    let mut bytes = PAGE_BUFFER.lock();
    bytes.fill(0);
    tessera_rt::component_info::encode(&info, &mut *bytes)
        .map_err(Why::Info)
        .at(entry, "writing its info page")?;
    let attrs = VmAttributes::CACHEABLE | VmAttributes::EXECUTE_NEVER;
    for (page, chunk) in bytes.chunks(PAGE).enumerate() {
        let frame = res
            .alloc(ObjectType::Frame4K, 0)
            .at(entry, "writing its info page")?;
        process::write_frame(res, frame, scratch, 0, chunk).at(entry, "writing its info page")?;
        let vaddr = INFO_VADDR + (page * PAGE) as u64;
        res.map_frame_with(frame, built.vspace, vaddr, Rights::READ, attrs)
            .at(entry, "mapping its info page")?;
    }
    Ok(())
}

/// Component `index`'s info; `console_id`: its local id for the
/// rootserver's console channel, if it is the console server.
fn describe<'a>(
    system: &System<'a>,
    index: usize,
    placement: &Placement,
    console_id: Option<u8>,
) -> Result<ComponentInfo<'a>, Why<'a>> {
    let c = &system.components[index];
    let mut info = ComponentInfo {
        name: c.name,
        core: c.core,
        priority: c.priority,
        console: None,
        heap: (HEAP_BASE, c.heap_size),
        ..ComponentInfo::default()
    };
    let me = index as u16;
    for (id, end) in system.ends_of(me).enumerate() {
        let id = id as u8;
        match end {
            End::Channel { index: ch, role } => {
                let channel = &system.channels[usize::from(ch)];
                let kind = match channel.kind {
                    tessera_sysdesc::ChannelKind::Notification => ChannelKind::Notification,
                    tessera_sysdesc::ChannelKind::Endpoint => ChannelKind::Endpoint,
                };
                let slot = if role == Role::From {
                    slots::local(id)
                } else {
                    0
                };
                if c.console == Some(ch) {
                    info.console = Some(id);
                }
                let entry = ChannelInfo {
                    name: channel.name,
                    id,
                    kind,
                    role,
                    slot,
                };
                info.channels.push(entry).map_err(|_| Why::TooLarge)?;
            }
            End::Interrupt { index: i } => {
                let irq = InterruptInfo {
                    intid: system.interrupts[usize::from(i)].intid,
                    id,
                    slot: slots::local(id),
                };
                info.interrupts.push(irq).map_err(|_| Why::TooLarge)?;
            }
        }
    }
    if let Some(id) = console_id {
        // The rootserver calls it: it is the `to`, and holds no capability.
        let entry = ChannelInfo {
            name: tessera_rt::console::ROOTSERVER_CHANNEL,
            id,
            kind: ChannelKind::Endpoint,
            role: Role::To,
            slot: 0,
        };
        info.channels.push(entry).map_err(|_| Why::TooLarge)?;
    }
    let rights = |r: tessera_sysdesc::Rights| tessera_rt::component_info::Rights {
        read: r.read,
        write: r.write,
        execute: r.execute,
    };
    for (k, m) in system.mappings.iter().enumerate() {
        if m.component != me {
            continue;
        }
        let region = &system.regions[usize::from(m.region)];
        let area = AreaInfo {
            name: region.name,
            kind: AreaKind::Region,
            vaddr: placement.mappings[k],
            size: region.size,
            rights: rights(m.rights),
            cacheable: region.cacheable,
        };
        info.areas.push(area).map_err(|_| Why::TooLarge)?;
    }
    for (k, d) in system.devices.iter().enumerate() {
        if d.component != me {
            continue;
        }
        let area = AreaInfo {
            name: d.name,
            kind: AreaKind::Device,
            vaddr: placement.devices[k],
            size: d.size,
            rights: rights(d.rights),
            cacheable: false,
        };
        info.areas.push(area).map_err(|_| Why::TooLarge)?;
    }
    Ok(info)
}
