//! The rules of a system description, all checked in one pass.

use std::boxed::Box;
use std::collections::HashMap;
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::error::{Entry, Error, Errors, Rule};
use crate::packed::{
    Channel, ChannelKind, Component, Device, Interrupt, Mapping, Region, Rights, System, Trigger,
};
use crate::source::{Description, VaddrSpec};
use crate::{
    ADDRESS_LIMIT, MAX_AREAS, MAX_CHANNELS, MAX_COMPONENTS, MAX_DEVICES, MAX_HEAP_SIZE,
    MAX_INTERRUPTS, MAX_LOCAL_IDS, MAX_MAPPINGS, MAX_NAME_LEN, MAX_REGIONS, MAX_STACK_SIZE,
    PAGE_SIZE, ROOTSERVER_PRIORITY,
};

/// The core count [`Options::default`] assumes (QEMU `virt` as Tessera runs it).
pub const DEFAULT_CORES: u32 = 4;

/// What validation needs to know about the machine and the boot archive.
#[derive(Debug, Clone)]
pub struct Options {
    /// Components' cores must be below this.
    pub cores: u32,
    /// The boot archive's entry names. When given, every program must be one
    /// of them; when `None`, programs are only checked to be simple names.
    pub archive_entries: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cores: DEFAULT_CORES,
            archive_entries: None,
        }
    }
}

/// Checks every rule and returns every broken one, or the resolved system.
pub fn validate<'a>(description: &'a Description, options: &Options) -> Result<System<'a>, Errors> {
    let mut check = Checker {
        file: &description.file,
        options,
        errors: Vec::new(),
    };
    check.reserved(description);
    check.counts(description);
    let components = check.components(description);
    check.regions(description, &components);
    check.channels(description, &components);
    check.interrupts(description, &components);
    check.devices(description, &components);
    check.consoles(description);
    check.per_component_limits(description);
    check.physical_overlaps(description);
    check.virtual_overlaps(description);
    if check.errors.is_empty() {
        Ok(build(description, &components))
    } else {
        Err(Errors(check.errors))
    }
}

/// Loads `path`, validates it and packs it for the boot archive.
pub fn build_image(
    path: &Path,
    options: &Options,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let description = crate::load(path)?;
    let system = validate(&description, options)?;
    Ok(crate::encode(&system))
}

/// Component names to indices (first entry of each name).
type Names<'a> = HashMap<&'a str, u16>;

struct Checker<'a> {
    file: &'a str,
    options: &'a Options,
    errors: Vec<Error>,
}

impl Checker<'_> {
    fn fail(&mut self, entry: &Entry, rule: Rule, detail: String) {
        self.errors.push(Error {
            file: self.file.into(),
            entry: entry.clone(),
            rule,
            detail,
        });
    }

    fn reserved(&mut self, d: &Description) {
        let sections = [
            ("partition", &d.partition),
            ("virtual_machine", &d.virtual_machine),
        ];
        for (kind, entries) in sections {
            for (i, table) in entries.iter().enumerate() {
                let name = match table.get("name").and_then(|n| n.as_str()) {
                    Some(name) => name.into(),
                    None => format!("#{}", i + 1),
                };
                let entry = Entry { kind, name };
                self.fail(
                    &entry,
                    Rule::NotSupported,
                    format!("remove the [[{kind}]] entry"),
                );
            }
        }
    }

    fn counts(&mut self, d: &Description) {
        let mappings = d.memory_region.iter().map(|r| r.map.len()).sum();
        let sections = [
            ("component", d.component.len(), MAX_COMPONENTS),
            ("memory_region", d.memory_region.len(), MAX_REGIONS),
            ("memory_region.map", mappings, MAX_MAPPINGS),
            ("channel", d.channel.len(), MAX_CHANNELS),
            ("interrupt", d.interrupt.len(), MAX_INTERRUPTS),
            ("device", d.device.len(), MAX_DEVICES),
        ];
        for (kind, count, max) in sections {
            if count > max {
                let entry = Entry::named(kind, &format!("#{}", max + 1));
                self.fail(
                    &entry,
                    Rule::TooMany,
                    format!("{count} entries, at most {max}"),
                );
            }
        }
    }

    /// Checks a name and that it is new; records it in `seen`.
    fn name<'n>(&mut self, entry: &Entry, name: &'n str, seen: &mut Vec<&'n str>) {
        if !is_name(name, |c| c.is_ascii_alphanumeric()) {
            self.fail(entry, Rule::Name, format!("name {name:?}"));
        }
        if seen.contains(&name) {
            self.fail(
                entry,
                Rule::UniqueName,
                "an earlier entry has this name".into(),
            );
        }
        seen.push(name);
    }

    fn components<'d>(&mut self, d: &'d Description) -> Names<'d> {
        let mut seen = Vec::new();
        let mut names = Names::new();
        for (i, c) in d.component.iter().enumerate() {
            let entry = Entry::named("component", &c.name);
            self.name(&entry, &c.name, &mut seen);
            if let Ok(index) = u16::try_from(i) {
                names.entry(c.name.as_str()).or_insert(index);
            }
            let simple = is_name(&c.program, |c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !simple || c.program == "rootserver" {
                self.fail(&entry, Rule::Program, format!("program {:?}", c.program));
            } else if let Some(archive) = &self.options.archive_entries
                && !archive.contains(&c.program)
            {
                let detail = format!("no entry {:?} (entries: {})", c.program, archive.join(", "));
                self.fail(&entry, Rule::ProgramInArchive, detail);
            }
            if !(0..i64::from(ROOTSERVER_PRIORITY)).contains(&c.priority) {
                self.fail(&entry, Rule::Priority, format!("priority {}", c.priority));
            }
            if !(0..i64::from(self.options.cores)).contains(&c.core) {
                let detail = format!("core {}, {} cores", c.core, self.options.cores);
                self.fail(&entry, Rule::Core, detail);
            }
            if !page_multiple(c.stack_size, 1, MAX_STACK_SIZE) {
                self.fail(
                    &entry,
                    Rule::StackSize,
                    format!("stack_size {}", c.stack_size),
                );
            }
            if !page_multiple(c.heap_size, 0, MAX_HEAP_SIZE) {
                self.fail(&entry, Rule::HeapSize, format!("heap_size {}", c.heap_size));
            }
        }
        names
    }

    fn reference(&mut self, entry: &Entry, names: &Names<'_>, role: &str, name: &str) {
        if !names.contains_key(name) {
            let detail = format!("{role} {name:?} is not a component");
            self.fail(entry, Rule::Reference, detail);
        }
    }

    /// Checks a physical range: size, then alignment and the 48-bit end.
    fn physical(&mut self, entry: &Entry, phys_addr: Option<i64>, size: i64) {
        let size_ok = page_multiple(size, 1, ADDRESS_LIMIT);
        if !size_ok {
            self.fail(entry, Rule::Size, format!("size {size:#x}"));
        }
        if let Some(addr) = phys_addr {
            let span = if size_ok { size } else { 0 };
            if !in_address_space(addr, span) {
                self.fail(
                    entry,
                    Rule::PhysAddr,
                    format!("phys_addr {addr:#x}, size {size:#x}"),
                );
            }
        }
    }

    fn virtual_address(&mut self, entry: &Entry, vaddr: &VaddrSpec, size: i64, what: &str) {
        let bad = match vaddr {
            VaddrSpec::Fixed(addr) => !in_address_space(*addr, size.max(0)),
            VaddrSpec::Word(word) => word != "any",
        };
        if bad {
            let detail = match vaddr {
                VaddrSpec::Fixed(addr) => format!("{what}vaddr {addr:#x}, size {size:#x}"),
                VaddrSpec::Word(word) => format!("{what}vaddr {word:?}"),
            };
            self.fail(entry, Rule::VirtAddr, detail);
        }
    }

    fn regions(&mut self, d: &Description, names: &Names<'_>) {
        let mut seen = Vec::new();
        for r in &d.memory_region {
            let entry = Entry::named("memory_region", &r.name);
            self.name(&entry, &r.name, &mut seen);
            self.physical(&entry, r.phys_addr, r.size);
            for m in &r.map {
                self.reference(&entry, names, "map component", &m.component);
                if parse_rights(&m.rights).is_none() {
                    let detail = format!("rights {:?} for {:?}", m.rights, m.component);
                    self.fail(&entry, Rule::Rights, detail);
                }
                let what = format!("mapping into {:?}: ", m.component);
                self.virtual_address(&entry, &m.vaddr, r.size, &what);
            }
        }
    }

    fn channels(&mut self, d: &Description, names: &Names<'_>) {
        let mut seen = Vec::new();
        for c in &d.channel {
            let entry = Entry::named("channel", &c.name);
            self.name(&entry, &c.name, &mut seen);
            let kind = parse_kind(&c.kind);
            if kind.is_none() {
                self.fail(&entry, Rule::ChannelKind, format!("kind {:?}", c.kind));
            }
            self.reference(&entry, names, "from", &c.from);
            self.reference(&entry, names, "to", &c.to);
            if c.from == c.to {
                self.fail(
                    &entry,
                    Rule::ChannelEnds,
                    format!("both ends are {:?}", c.from),
                );
            }
            let ends = (names.get(c.from.as_str()), names.get(c.to.as_str()));
            if let (Some(ChannelKind::Endpoint), (Some(&from), Some(&to))) = (kind, ends) {
                let caller = &d.component[usize::from(from)];
                let callee = &d.component[usize::from(to)];
                if from != to && callee.priority <= caller.priority {
                    let detail = format!(
                        "callee {:?} has priority {}, caller {:?} has {}",
                        callee.name, callee.priority, caller.name, caller.priority
                    );
                    self.fail(&entry, Rule::EndpointPriority, detail);
                }
            }
        }
    }

    fn interrupts(&mut self, d: &Description, names: &Names<'_>) {
        /// The one PPI user level may have: the EL2 virtual timer.
        const USER_PPI: i64 = 28;
        let mut seen = Vec::new();
        for irq in &d.interrupt {
            let entry = Entry::named("interrupt", &irq.intid.to_string());
            match irq.intid {
                USER_PPI => {
                    if irq.trigger == "edge" {
                        self.fail(&entry, Rule::PpiTrigger, format!("INTID {}", irq.intid));
                    }
                }
                0..=31 => {
                    self.fail(&entry, Rule::IntidKernel, format!("INTID {}", irq.intid));
                }
                32..=1019 => {}
                _ => self.fail(&entry, Rule::IntidRange, format!("INTID {}", irq.intid)),
            }
            if seen.contains(&irq.intid) {
                let detail = format!(
                    "also given by an earlier entry; here to {:?}",
                    irq.component
                );
                self.fail(&entry, Rule::InterruptShared, detail);
            }
            seen.push(irq.intid);
            if parse_trigger(&irq.trigger).is_none() {
                self.fail(&entry, Rule::Trigger, format!("trigger {:?}", irq.trigger));
            }
            self.reference(&entry, names, "component", &irq.component);
        }
    }

    fn devices(&mut self, d: &Description, names: &Names<'_>) {
        let mut seen = Vec::new();
        for dev in &d.device {
            let entry = Entry::named("device", &dev.name);
            self.name(&entry, &dev.name, &mut seen);
            self.physical(&entry, Some(dev.phys_addr), dev.size);
            self.reference(&entry, names, "component", &dev.component);
            if parse_rights(&dev.rights).is_none_or(|r| r.execute) {
                self.fail(
                    &entry,
                    Rule::DeviceRights,
                    format!("rights {:?}", dev.rights),
                );
            }
            self.virtual_address(&entry, &dev.vaddr, dev.size, "");
        }
    }

    /// A console names an endpoint channel whose caller is the component.
    fn consoles(&mut self, d: &Description) {
        for c in &d.component {
            let Some(console) = &c.console else { continue };
            let entry = Entry::named("component", &c.name);
            match d.channel.iter().find(|ch| &ch.name == console) {
                None => {
                    let detail = format!("console {console:?} is not a channel");
                    self.fail(&entry, Rule::Reference, detail);
                }
                Some(ch) if ch.kind != "endpoint" || ch.from != c.name => {
                    let detail = format!(
                        "console {console:?} is a {} channel from {:?}",
                        ch.kind, ch.from
                    );
                    self.fail(&entry, Rule::Console, detail);
                }
                Some(_) => {}
            }
        }
    }

    /// Each component's channels and interrupts fit its local ids, and its
    /// mappings fit its info page.
    fn per_component_limits(&mut self, d: &Description) {
        for c in &d.component {
            let name = c.name.as_str();
            let entry = Entry::named("component", name);
            let channels = d
                .channel
                .iter()
                .filter(|ch| ch.from == name || ch.to == name);
            let interrupts = d.interrupt.iter().filter(|i| i.component == name);
            let ids = channels.count() + interrupts.count();
            if ids > MAX_LOCAL_IDS {
                let detail = format!("{ids} channels and interrupts");
                self.fail(&entry, Rule::LocalIds, detail);
            }
            let maps = d.memory_region.iter().flat_map(|r| &r.map);
            let areas = maps.filter(|m| m.component == name).count()
                + d.device.iter().filter(|dev| dev.component == name).count();
            if areas > MAX_AREAS {
                let detail = format!("{areas} regions and devices");
                self.fail(&entry, Rule::Areas, detail);
            }
        }
    }

    /// Fixed regions and devices must not share physical memory. Each pair
    /// is reported once, on the later entry.
    fn physical_overlaps(&mut self, d: &Description) {
        let regions = d.memory_region.iter().filter_map(|r| {
            let entry = Entry::named("memory_region", &r.name);
            span(r.phys_addr?, r.size).map(|s| (entry, s))
        });
        let devices = d.device.iter().filter_map(|dev| {
            let entry = Entry::named("device", &dev.name);
            span(dev.phys_addr, dev.size).map(|s| (entry, s))
        });
        let ranges: Vec<(Entry, Span)> = regions.chain(devices).collect();
        self.overlaps(&ranges, Rule::PhysOverlap, "");
    }

    /// Fixed mappings (regions and devices) inside each component's address
    /// space must not overlap.
    fn virtual_overlaps(&mut self, d: &Description) {
        let mut spaces: HashMap<&str, Vec<(Entry, Span)>> = HashMap::new();
        for r in &d.memory_region {
            for m in &r.map {
                if let VaddrSpec::Fixed(addr) = m.vaddr
                    && let Some(s) = span(addr, r.size)
                {
                    let entry = Entry::named("memory_region", &r.name);
                    spaces.entry(&m.component).or_default().push((entry, s));
                }
            }
        }
        for dev in &d.device {
            if let VaddrSpec::Fixed(addr) = dev.vaddr
                && let Some(s) = span(addr, dev.size)
            {
                let entry = Entry::named("device", &dev.name);
                spaces.entry(&dev.component).or_default().push((entry, s));
            }
        }
        for component in d.component.iter().map(|c| c.name.as_str()) {
            if let Some(ranges) = spaces.remove(component) {
                let place = format!(" in component {component:?}");
                self.overlaps(&ranges, Rule::VirtOverlap, &place);
            }
        }
    }

    fn overlaps(&mut self, ranges: &[(Entry, Span)], rule: Rule, place: &str) {
        for (i, (entry, a)) in ranges.iter().enumerate() {
            for (other, b) in &ranges[..i] {
                if a.start < b.end && b.start < a.end {
                    let detail = format!("{a}{place} overlaps {other} at {b}");
                    self.fail(entry, rule, detail);
                }
            }
        }
    }
}

/// A half-open address range.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}..{:#x}", self.start, self.end)
    }
}

/// The range `addr..addr + size`, if both are legal.
fn span(addr: i64, size: i64) -> Option<Span> {
    if !page_multiple(size, 1, ADDRESS_LIMIT) || !in_address_space(addr, size) {
        return None;
    }
    let start = u64::try_from(addr).ok()?;
    let end = start.checked_add(u64::try_from(size).ok()?)?;
    Some(Span { start, end })
}

/// Whether `value` is a multiple of the page size in `min..=max`.
fn page_multiple(value: i64, min: u64, max: u64) -> bool {
    u64::try_from(value).is_ok_and(|v| v % PAGE_SIZE == 0 && (min..=max).contains(&v))
}

/// Whether `addr` is page-aligned and `addr + size` is within 48 bits.
fn in_address_space(addr: i64, size: i64) -> bool {
    let (Ok(addr), Ok(size)) = (u64::try_from(addr), u64::try_from(size)) else {
        return false;
    };
    addr % PAGE_SIZE == 0
        && addr
            .checked_add(size)
            .is_some_and(|end| end <= ADDRESS_LIMIT)
}

/// Whether `name` is 1 to [`MAX_NAME_LEN`] of `_`, `-` and characters
/// `allowed` accepts.
fn is_name(name: &str, allowed: impl Fn(char) -> bool) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name.chars().all(|c| c == '_' || c == '-' || allowed(c))
}

fn parse_rights(text: &str) -> Option<Rights> {
    let rights = match text {
        "r" => (false, false),
        "rw" => (true, false),
        "rx" => (false, true),
        "rwx" => (true, true),
        _ => return None,
    };
    Some(Rights {
        read: true,
        write: rights.0,
        execute: rights.1,
    })
}

fn parse_kind(text: &str) -> Option<ChannelKind> {
    match text {
        "notification" => Some(ChannelKind::Notification),
        "endpoint" => Some(ChannelKind::Endpoint),
        _ => None,
    }
}

fn parse_trigger(text: &str) -> Option<Trigger> {
    match text {
        "level" => Some(Trigger::Level),
        "edge" => Some(Trigger::Edge),
        _ => None,
    }
}

/// A legal virtual address as stored: `None` for `"any"`.
fn fixed(vaddr: &VaddrSpec) -> Option<u64> {
    match vaddr {
        VaddrSpec::Fixed(addr) => u64::try_from(*addr).ok(),
        VaddrSpec::Word(_) => None,
    }
}

/// Converts a description that broke no rule; every conversion below is
/// known to succeed.
fn build<'a>(d: &'a Description, names: &Names<'_>) -> System<'a> {
    let index = |name: &str| names.get(name).copied().unwrap_or_default();
    let unsigned = |v: i64| u64::try_from(v).unwrap_or_default();
    let read_only = Rights {
        read: true,
        write: false,
        execute: false,
    };
    let mut system = System::default();
    for c in &d.component {
        let _ = system.components.push(Component {
            name: &c.name,
            program: &c.program,
            priority: u8::try_from(c.priority).unwrap_or_default(),
            core: u16::try_from(c.core).unwrap_or_default(),
            stack_size: unsigned(c.stack_size),
            heap_size: unsigned(c.heap_size),
            console: c.console.as_ref().and_then(|name| {
                let i = d.channel.iter().position(|ch| &ch.name == name)?;
                u16::try_from(i).ok()
            }),
        });
    }
    for (i, r) in d.memory_region.iter().enumerate() {
        let _ = system.regions.push(Region {
            name: &r.name,
            size: unsigned(r.size),
            phys_addr: r.phys_addr.map(unsigned),
            cacheable: r.cacheable,
        });
        for m in &r.map {
            let _ = system.mappings.push(Mapping {
                region: u16::try_from(i).unwrap_or_default(),
                component: index(&m.component),
                rights: parse_rights(&m.rights).unwrap_or(read_only),
                vaddr: fixed(&m.vaddr),
            });
        }
    }
    for c in &d.channel {
        let _ = system.channels.push(Channel {
            name: &c.name,
            kind: parse_kind(&c.kind).unwrap_or(ChannelKind::Notification),
            from: index(&c.from),
            to: index(&c.to),
        });
    }
    for irq in &d.interrupt {
        let _ = system.interrupts.push(Interrupt {
            intid: u16::try_from(irq.intid).unwrap_or_default(),
            trigger: parse_trigger(&irq.trigger).unwrap_or(Trigger::Level),
            component: index(&irq.component),
        });
    }
    for dev in &d.device {
        let _ = system.devices.push(Device {
            name: &dev.name,
            phys_addr: unsigned(dev.phys_addr),
            size: unsigned(dev.size),
            component: index(&dev.component),
            rights: parse_rights(&dev.rights).unwrap_or(read_only),
            vaddr: fixed(&dev.vaddr),
        });
    }
    system
}

#[cfg(test)]
mod tests;
