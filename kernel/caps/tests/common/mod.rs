//! Shared by the integration tests: an in-memory slot store.

#![allow(dead_code)]

use std::collections::BTreeMap;
use tessera_caps::{Cap, NO_SLOT, Slot, SlotAddr, SlotStore};

/// Slots in a map; absent slots read as empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapStore(pub BTreeMap<SlotAddr, Slot>);

impl SlotStore for MapStore {
    fn read(&self, at: SlotAddr) -> Slot {
        self.0.get(&at).copied().unwrap_or(Slot::EMPTY)
    }
    fn write(&mut self, at: SlotAddr, slot: Slot) {
        if slot == Slot::EMPTY {
            self.0.remove(&at);
        } else {
            self.0.insert(at, slot);
        }
    }
}

impl MapStore {
    pub fn cap(&self, at: SlotAddr) -> Cap {
        self.read(at).cap
    }

    pub fn occupied(&self) -> Vec<SlotAddr> {
        self.0
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(&a, _)| a)
            .collect()
    }

    /// Every list, from its head, after checking the links: each occupied
    /// slot is in exactly one list, `next`/`prev` agree, no cycles, no
    /// empty slot is linked.
    pub fn lists(&self) -> Result<Vec<Vec<SlotAddr>>, String> {
        let occupied = self.occupied();
        for (&at, s) in &self.0 {
            if s.is_empty() && s.mdb != Default::default() {
                return Err(format!("empty slot {at:#x} has links"));
            }
        }
        let mut seen = Vec::new();
        let mut lists = Vec::new();
        for &head in occupied
            .iter()
            .filter(|&&a| self.read(a).mdb.prev == NO_SLOT)
        {
            let mut list = Vec::new();
            let (mut at, mut prev) = (head, NO_SLOT);
            while at != NO_SLOT {
                let s = self.read(at);
                if s.is_empty() {
                    return Err(format!("{prev:#x} links to the empty slot {at:#x}"));
                }
                if s.mdb.prev != prev {
                    return Err(format!(
                        "{at:#x}.prev is {:#x}, expected {prev:#x}",
                        s.mdb.prev
                    ));
                }
                if seen.contains(&at) {
                    return Err(format!("{at:#x} is reached twice (cycle or join)"));
                }
                seen.push(at);
                list.push(at);
                prev = at;
                at = s.mdb.next;
            }
            lists.push(list);
        }
        if seen.len() != occupied.len() {
            return Err(format!(
                "{} occupied slots, {} in lists",
                occupied.len(),
                seen.len()
            ));
        }
        Ok(lists)
    }
}
