//! Access rights carried by a capability.

bitflags::bitflags! {
    /// Rights of a capability; `Mint` and `Mutate` can only remove them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u64 {
        /// Send on an endpoint, signal a notification, write a frame.
        const WRITE = 1 << 0;
        /// Receive on an endpoint, wait on a notification, read a frame.
        const READ = 1 << 1;
        /// Transfer capabilities with a message.
        const GRANT = 1 << 2;
        /// Receive a reply capability (Call through this endpoint).
        const GRANT_REPLY = 1 << 3;
    }
}

impl Rights {
    /// All rights.
    pub const ALL: Rights = Rights::all();
    /// Read and write, no grant.
    pub const READ_WRITE: Rights = Rights::READ.union(Rights::WRITE);

    /// The rights in a message word, ignoring unknown bits.
    pub const fn from_word(word: u64) -> Rights {
        Rights::from_bits_truncate(word)
    }
}
