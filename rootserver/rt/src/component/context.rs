//! What a component knows about itself: its component-info page, checked
//! once at start-up and read in place for the component's lifetime.

use tessera_abi::CPtr;
use tessera_component_info::layout::{INFO_SIZE, INFO_VADDR};
use tessera_component_info::{DecodeError, InfoPage};

use super::{Channel, Memory};

/// The component's view of itself: name, core, channels, interrupts and
/// memory. Handlers get a shared reference.
#[derive(Debug)]
pub struct Context {
    info: InfoPage<'static>,
}

/// The checked info page.
static CONTEXT: spin::Once<Result<Context, DecodeError>> = spin::Once::new();

impl Context {
    /// Reads the info page at [`INFO_VADDR`] (once; later calls return the
    /// same context).
    pub(super) fn load() -> Result<&'static Context, DecodeError> {
        let loaded = CONTEXT.call_once(|| {
            // SAFETY: the rootserver maps INFO_SIZE bytes read-only at
            // INFO_VADDR into every component before starting it and never
            // unmaps or changes them.
            let page = unsafe { core::slice::from_raw_parts(INFO_VADDR as *const u8, INFO_SIZE) };
            Self::decode(page)
        });
        loaded.as_ref().map_err(|e| *e)
    }

    /// A context from the bytes of an info page.
    pub fn decode(page: &'static [u8]) -> Result<Context, DecodeError> {
        InfoPage::parse(page).map(|info| Context { info })
    }

    /// The component's name in the system description.
    pub fn name(&self) -> &'static str {
        self.info.name()
    }

    /// The core the component runs on.
    pub fn core(&self) -> u16 {
        self.info.core()
    }

    /// The component's priority.
    pub fn priority(&self) -> u8 {
        self.info.priority()
    }

    /// The channel named `name` in the system description.
    pub fn channel(&self, name: &str) -> Option<Channel> {
        self.info.channel(name).map(|c| Channel::from_info(&c))
    }

    /// The channel of interrupt `intid`.
    pub fn interrupt(&self, intid: u16) -> Option<Channel> {
        let irq = self.info.interrupts().find(|i| i.intid == intid)?;
        Some(Channel::from_interrupt(&irq))
    }

    /// The channel or interrupt with local id `id`.
    pub fn channel_with_id(&self, id: u8) -> Option<Channel> {
        self.channels().find(|c| c.id() == id)
    }

    /// Every channel, then every interrupt.
    pub fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        let channels = self.info.channels().map(|c| Channel::from_info(&c));
        channels.chain(self.info.interrupts().map(|i| Channel::from_interrupt(&i)))
    }

    /// The memory region or device named `name`.
    pub fn memory(&self, name: &str) -> Option<Memory> {
        self.info.area(name).map(|a| Memory::from_info(&a))
    }

    /// The heap, if the component has one (`heap_size` in the system
    /// description).
    pub fn heap(&self) -> Option<Memory> {
        let (vaddr, size) = self.info.heap();
        (size > 0).then(|| Memory::heap(vaddr, size))
    }

    /// The console channel's capability, if the component has a console.
    pub(super) fn console(&self) -> Option<CPtr> {
        let id = self.info.console()?;
        self.info.channels().find(|c| c.id == id).map(|c| c.slot)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;

    use tessera_component_info::{
        ChannelInfo, ChannelKind, ComponentInfo, InterruptInfo, Role, encode,
    };

    use super::*;
    use crate::component::End;

    fn context() -> Context {
        let mut info = ComponentInfo {
            name: "serial",
            core: 2,
            priority: 200,
            console: None,
            heap: (0x6000_0000_0000, 0x2000),
            ..ComponentInfo::default()
        };
        let c = ChannelInfo {
            name: "ping_console",
            id: 0,
            kind: ChannelKind::Endpoint,
            role: Role::To,
            slot: 0,
        };
        info.channels.push(c).unwrap();
        let irq = InterruptInfo {
            intid: 33,
            id: 1,
            slot: 9,
        };
        info.interrupts.push(irq).unwrap();
        let page: &'static mut [u8] = Box::leak(Box::new([0u8; INFO_SIZE]));
        encode(&info, page).unwrap();
        Context::decode(page).unwrap()
    }

    #[test]
    fn lookups() {
        let ctx = context();
        assert_eq!((ctx.name(), ctx.core(), ctx.priority()), ("serial", 2, 200));
        assert_eq!(
            ctx.channel("ping_console").map(|c| c.end()),
            Some(End::Callee)
        );
        assert_eq!(ctx.interrupt(33).map(|c| c.id()), Some(1));
        assert_eq!(
            ctx.channel_with_id(1).map(|c| c.end()),
            Some(End::Interrupt(33))
        );
        assert!(ctx.channel_with_id(2).is_none());
        assert_eq!(ctx.channels().count(), 2);
        assert!(ctx.memory("uart").is_none());
        assert_eq!(ctx.heap().map(|h| h.size()), Some(0x2000));
        assert_eq!(ctx.console(), None);
    }

    #[test]
    fn a_bad_page_is_refused() {
        let page: &'static [u8] = Box::leak(Box::new([0u8; 64]));
        assert_eq!(Context::decode(page).err(), Some(DecodeError::BadMagic));
    }
}
