//! A component's channels: what it can do on each, by which end it is.

use core::fmt;

use tessera_abi::CPtr;
use tessera_component_info::{ChannelInfo, ChannelKind, InterruptInfo, Role};

use super::Message;
use crate::error::InvocationError;
use crate::invoke::irq;
use crate::ipc::{self, Outgoing};

/// Which end of a channel this component is, which says what it can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// It signals the other end: [`Channel::notify`].
    Signaller,
    /// The other end signals it: [`Component::notified`](super::Component::notified) runs.
    Waiter,
    /// It calls the other end: [`Channel::call`].
    Caller,
    /// The other end calls it: [`Component::protected`](super::Component::protected) runs.
    Callee,
    /// An interrupt (this INTID): `notified` runs when it fires, and
    /// [`Channel::irq_ack`] lets it fire again.
    Interrupt(u16),
}

/// One of the component's channels or interrupts, named by its local id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    name: &'static str,
    id: u8,
    end: End,
    slot: CPtr,
}

/// Why an operation on a channel failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelError {
    /// The channel's end does not allow it (notifying a channel the
    /// component waits on, acknowledging a channel that is no interrupt…).
    WrongEnd {
        /// The channel.
        channel: &'static str,
        /// What the operation needs.
        needs: End,
    },
    /// The kernel refused.
    Kernel(InvocationError),
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongEnd { channel, needs } => {
                write!(
                    f,
                    "channel {channel:?} is not one this component is {needs:?} of"
                )
            }
            Self::Kernel(e) => write!(f, "kernel: {e}"),
        }
    }
}

impl Channel {
    pub(super) fn from_info(c: &ChannelInfo<'static>) -> Self {
        let end = match (c.kind, c.role) {
            (ChannelKind::Notification, Role::From) => End::Signaller,
            (ChannelKind::Notification, Role::To) => End::Waiter,
            (ChannelKind::Endpoint, Role::From) => End::Caller,
            (ChannelKind::Endpoint, Role::To) => End::Callee,
        };
        Self {
            name: c.name,
            id: c.id,
            end,
            slot: c.slot,
        }
    }

    pub(super) fn from_interrupt(i: &InterruptInfo) -> Self {
        Self {
            name: "interrupt",
            id: i.id,
            end: End::Interrupt(i.intid),
            slot: i.slot,
        }
    }

    /// The channel's name in the system description (`"interrupt"` for an
    /// interrupt).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The component's local id for it (0 to 62).
    pub fn id(&self) -> u8 {
        self.id
    }

    /// Which end the component is.
    pub fn end(&self) -> End {
        self.end
    }

    fn require(&self, needs: End) -> Result<(), ChannelError> {
        let ok = match needs {
            End::Interrupt(_) => matches!(self.end, End::Interrupt(_)),
            other => self.end == other,
        };
        if ok {
            Ok(())
        } else {
            Err(ChannelError::WrongEnd {
                channel: self.name,
                needs,
            })
        }
    }

    /// Signals the other end (a notification channel this component is the
    /// signaller of). Never blocks.
    pub fn notify(&self) -> Result<(), ChannelError> {
        self.require(End::Signaller)?;
        ipc::signal(self.slot).map_err(ChannelError::Kernel)
    }

    /// Calls the other end (an endpoint channel this component is the
    /// caller of) and waits for its reply. The callee runs at a higher
    /// priority and answers at once unless it is busy with another call.
    pub fn call(&self, msg: &Message) -> Result<Message, ChannelError> {
        self.require(End::Caller)?;
        let reply = ipc::call(self.slot, Outgoing::new(msg.label(), msg.words()));
        Ok(Message::received(&reply))
    }

    /// Lets an interrupt fire again once handled (an interrupt channel).
    pub fn irq_ack(&self) -> Result<(), ChannelError> {
        self.require(End::Interrupt(0))?;
        irq::ack(self.slot).map_err(ChannelError::Kernel)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            End::Interrupt(intid) => write!(f, "interrupt {intid} (id {})", self.id),
            _ => write!(f, "{} (id {})", self.name, self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(kind: ChannelKind, role: Role) -> Channel {
        Channel::from_info(&ChannelInfo {
            name: "c",
            id: 4,
            kind,
            role,
            slot: 12,
        })
    }

    #[test]
    fn ends_follow_kind_and_role() {
        assert_eq!(
            channel(ChannelKind::Notification, Role::From).end(),
            End::Signaller
        );
        assert_eq!(
            channel(ChannelKind::Notification, Role::To).end(),
            End::Waiter
        );
        assert_eq!(
            channel(ChannelKind::Endpoint, Role::From).end(),
            End::Caller
        );
        assert_eq!(channel(ChannelKind::Endpoint, Role::To).end(), End::Callee);
        let irq = Channel::from_interrupt(&InterruptInfo {
            intid: 33,
            id: 2,
            slot: 10,
        });
        assert_eq!(irq.end(), End::Interrupt(33));
        assert_eq!(irq.id(), 2);
    }

    #[test]
    fn operations_check_the_end_before_any_system_call() {
        let waiter = channel(ChannelKind::Notification, Role::To);
        let wrong = |needs| ChannelError::WrongEnd {
            channel: "c",
            needs,
        };
        assert_eq!(waiter.notify(), Err(wrong(End::Signaller)));
        assert_eq!(waiter.call(&Message::empty(1)), Err(wrong(End::Caller)));
        assert_eq!(waiter.irq_ack(), Err(wrong(End::Interrupt(0))));
        let caller = channel(ChannelKind::Endpoint, Role::From);
        assert_eq!(caller.notify(), Err(wrong(End::Signaller)));
    }
}
