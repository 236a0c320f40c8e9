//! Channels and interrupts as capabilities.
//!
//! Each component's channels and interrupts are numbered by its local ids
//! (`System::ends_of`). The sending end of a channel gets, in the slot of
//! its own local id for the channel, a capability badged with the
//! receiving end's local id:
//!
//! - notification from A to B: Write on B's notification, badge
//!   `bit(B's id)`;
//! - endpoint from A to B: Write and GrantReply on B's endpoint, badge
//!   `bit 63 | B's id`.
//!
//! The rootserver's own console channel (`rootserver_console`) is minted
//! the same way, for the console server's id after its others.
//!
//! An interrupt is claimed for its component's core, bound to the
//! component's notification with badge `bit(its id)`, and its IRQHandler
//! capability goes into the slot of its id, for Ack.

use tessera_rt::abi::{CPtr, InitialSlot, Rights};
use tessera_rt::alloc::{AllocError, Resources};
use tessera_rt::component_info::{badge, slots};
use tessera_rt::invoke::cnode;
use tessera_rt::invoke::irq::{self, Trigger};
use tessera_sysdesc::{ChannelKind, End, Role, System};

use super::Built;
use super::error::{BuildError, Context, Entry, Why};

/// Component `component`'s local id for `end` (known to exist and to be
/// below 63: the validator checks both).
fn local_id<'a>(
    system: &System<'a>,
    component: u16,
    end: End,
    entry: Entry<'a>,
) -> Result<u8, BuildError<'a>> {
    system
        .local_id(component, end)
        .and_then(|id| u8::try_from(id).ok())
        .filter(|&id| usize::from(id) < tessera_rt::component_info::MAX_LOCAL_IDS)
        .ok_or(BuildError {
            entry,
            doing: "numbering it",
            component: Some(system.components[usize::from(component)].name),
            why: Why::TooLarge,
        })
}

/// The slot of local id `id` in `built`'s CNode.
fn local_slot(built: &Built, id: u8) -> cnode::Slot {
    cnode::Slot {
        root: built.cnode,
        index: slots::local(id),
        depth: u64::from(slots::CNODE_BITS),
    }
}

/// Gives each channel's `from` its badged capability.
pub fn channels<'a>(
    res: &mut Resources,
    system: &System<'a>,
    built: &[Built],
) -> Result<(), BuildError<'a>> {
    for (index, c) in system.channels.iter().enumerate() {
        let entry = Entry::Channel(c.name);
        let index = index as u16;
        let from_end = End::Channel {
            index,
            role: Role::From,
        };
        let to_end = End::Channel {
            index,
            role: Role::To,
        };
        let from_id = local_id(system, c.from, from_end, entry)?;
        let to_id = local_id(system, c.to, to_end, entry)?;
        let (to, from) = (&built[usize::from(c.to)], &built[usize::from(c.from)]);
        let (object, rights, badge) = match c.kind {
            ChannelKind::Notification => {
                (to.notification, Rights::WRITE, badge::notification(to_id))
            }
            ChannelKind::Endpoint => (
                to.endpoint,
                Rights::WRITE | Rights::GRANT_REPLY,
                badge::protected_call(to_id),
            ),
        };
        let src = cnode::Slot::new(res.cnode, object);
        let caller = system.components[usize::from(c.from)].name;
        cnode::mint(local_slot(from, from_id), src, rights, badge).at_for(
            entry,
            "giving it its capability",
            caller,
        )?;
    }
    Ok(())
}

/// Claims each interrupt, binds it to its component's notification and
/// gives the component the IRQHandler.
pub fn interrupts<'a>(
    res: &mut Resources,
    system: &System<'a>,
    built: &[Built],
) -> Result<(), BuildError<'a>> {
    for (index, i) in system.interrupts.iter().enumerate() {
        let entry = Entry::Interrupt(i.intid);
        let owner = &system.components[usize::from(i.component)];
        let end = End::Interrupt {
            index: index as u16,
        };
        let id = local_id(system, i.component, end, entry)?;
        let b = &built[usize::from(i.component)];
        let handler = take_slot(res, entry)?;
        let trigger = match i.trigger {
            tessera_sysdesc::Trigger::Level => Trigger::Level,
            tessera_sysdesc::Trigger::Edge => Trigger::Edge,
        };
        let dest = cnode::Slot::new(res.cnode, handler);
        let control = InitialSlot::IrqControl.cptr();
        irq::get(
            control,
            u64::from(i.intid),
            trigger,
            u64::from(owner.core),
            dest,
        )
        .at(entry, "claiming it")?;
        let badged = take_slot(res, entry)?;
        let src = cnode::Slot::new(res.cnode, b.notification);
        let dest = cnode::Slot::new(res.cnode, badged);
        cnode::mint(dest, src, Rights::WRITE, badge::notification(id))
            .at(entry, "badging its notification")?;
        // The kernel keeps its own copy of the bound notification.
        irq::set_notification(handler, badged).at(entry, "binding it to its notification")?;
        cnode::delete(dest).at(entry, "binding it to its notification")?;
        res.slots.free(badged);
        let src = cnode::Slot::new(res.cnode, handler);
        cnode::move_(local_slot(b, id), src).at_for(entry, "giving it", owner.name)?;
        res.slots.free(handler);
    }
    Ok(())
}

/// Mints the rootserver its console channel: Write and GrantReply on the
/// console server's endpoint, badged `bit 63 | id` as a description
/// channel's caller would get, in a slot of the rootserver's own.
pub fn rootserver_console<'a>(
    res: &mut Resources,
    system: &System<'a>,
    built: &[Built],
    server: usize,
    id: u8,
) -> Result<CPtr, BuildError<'a>> {
    let entry = Entry::Component(system.components[server].name);
    let cap = take_slot(res, entry)?;
    let src = cnode::Slot::new(res.cnode, built[server].endpoint);
    let dest = cnode::Slot::new(res.cnode, cap);
    let rights = Rights::WRITE | Rights::GRANT_REPLY;
    cnode::mint(dest, src, rights, badge::protected_call(id))
        .at(entry, "giving the rootserver its console channel")?;
    Ok(cap)
}

fn take_slot<'a>(res: &mut Resources, entry: Entry<'a>) -> Result<CPtr, BuildError<'a>> {
    res.slots
        .alloc()
        .map_err(AllocError::from)
        .at(entry, "taking a slot")
}
