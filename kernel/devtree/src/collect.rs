//! Gathering the [`Platform`] facts in one walk of a checked tree.

use fdt::node::FdtNode;

use crate::cells::{reg, str_property, u32_property};
use crate::chosen::Chosen;
use crate::irq::Controllers;
use crate::platform::{
    Conduit, Cpu, Device, GicV3, Platform, Psci, PsciVersion, Region, Timer, Uart,
};
use crate::tree::{Parent, Visit, base_name, walk};

/// The facts of the tree under `root`, with the memory reservation block's
/// `reservations` first in `reserved`.
pub(crate) fn platform<'a>(
    root: FdtNode<'_, 'a>,
    reservations: impl Iterator<Item = Region>,
) -> Platform<'a> {
    let chosen = Chosen::read(root);
    let mut controllers = Controllers::default();
    walk(root, None, &mut |visit| controllers.note(visit.node));
    let mut collector = Collector {
        controllers,
        platform: Platform::default(),
        first_uart: None,
        stdout_uart: None,
    };
    collector.platform.bootargs = chosen.bootargs;
    collector.platform.initrd = chosen.initrd;
    for region in reservations {
        keep(&mut collector.platform.reserved, region);
    }
    walk(root, chosen.stdout, &mut |visit| collector.visit(visit));
    collector.finish()
}

/// Pushes `item` unless `list` is full: lists keep their first entries.
fn keep<T, const N: usize>(list: &mut heapless::Vec<T, N>, item: T) {
    // A full list drops the item; that is the documented behaviour.
    let _ = list.push(item);
}

/// The walk's state: the facts so far and the UART candidates.
struct Collector<'a> {
    controllers: Controllers,
    platform: Platform<'a>,
    first_uart: Option<Uart>,
    stdout_uart: Option<Uart>,
}

impl<'a> Collector<'a> {
    /// Records what `visit` tells.
    fn visit(&mut self, visit: &Visit<'_, 'a>) {
        if visit.parent == Parent::Cpus && base_name(visit.node.name) == "cpu" {
            self.cpu(visit);
        }
        if !is_enabled(visit.node) {
            return;
        }
        match visit.parent {
            Parent::Root if is_memory(visit.node) => self.memory(visit),
            Parent::ReservedMemory => self.reserved(visit),
            _ => self.device(visit),
        }
    }

    /// The platform, with the console UART chosen.
    fn finish(mut self) -> Platform<'a> {
        self.platform.uart = self.stdout_uart.or(self.first_uart);
        self.platform
    }

    fn cpu(&mut self, visit: &Visit<'_, 'a>) {
        if let Some(region) = reg(visit.node, visit.cells).next() {
            keep(&mut self.platform.cpus, Cpu { mpidr: region.base });
        }
    }

    fn memory(&mut self, visit: &Visit<'_, 'a>) {
        for region in reg(visit.node, visit.cells) {
            keep(&mut self.platform.memory, region);
        }
    }

    fn reserved(&mut self, visit: &Visit<'_, 'a>) {
        for region in reg(visit.node, visit.cells) {
            keep(&mut self.platform.reserved, region);
        }
    }

    /// Records `visit` if it is a device we know by its `compatible`.
    fn device(&mut self, visit: &Visit<'_, 'a>) {
        match device_kind(visit.node) {
            Some(DeviceKind::Uart) => self.uart(visit),
            Some(DeviceKind::VirtioMmio) => {
                if let Some(device) = self.device_at(visit) {
                    keep(&mut self.platform.virtio_mmio, device);
                }
            }
            Some(DeviceKind::GicV3) => {
                self.platform.gic = self.platform.gic.take().or_else(|| self.gic(visit));
            }
            Some(DeviceKind::Timer) => {
                self.platform.timer = self.platform.timer.or_else(|| self.timer(visit));
            }
            Some(DeviceKind::Psci) => {
                self.platform.psci = self.platform.psci.or_else(|| psci(visit.node));
            }
            None => {}
        }
    }

    fn uart(&mut self, visit: &Visit<'_, 'a>) {
        let Some(device) = self.device_at(visit) else {
            return;
        };
        let uart = Some(Uart {
            region: device.region,
            intid: device.intid,
        });
        self.first_uart = self.first_uart.or(uart);
        if visit.is_stdout {
            self.stdout_uart = self.stdout_uart.or(uart);
        }
    }

    /// The first `reg` region and first interrupt of `visit`'s node.
    fn device_at(&self, visit: &Visit<'_, 'a>) -> Option<Device> {
        let region = reg(visit.node, visit.cells).next()?;
        let intid = self
            .controllers
            .first_intid(visit.node, visit.interrupt_parent);
        Some(Device { region, intid })
    }

    /// A GICv3 with its distributor and at least one redistributor region.
    fn gic(&self, visit: &Visit<'_, 'a>) -> Option<GicV3> {
        let mut regions = reg(visit.node, visit.cells);
        let dist = regions.next()?;
        let count = u32_property(visit.node, "#redistributor-regions").unwrap_or(1);
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let mut redists = heapless::Vec::new();
        for region in regions.take(count) {
            keep(&mut redists, region);
        }
        let maintenance_intid = self
            .controllers
            .first_intid(visit.node, visit.interrupt_parent);
        (!redists.is_empty()).then_some(GicV3 {
            dist,
            redists,
            maintenance_intid,
        })
    }

    /// The timer, if its first four interrupts are valid.
    fn timer(&self, visit: &Visit<'_, 'a>) -> Option<Timer> {
        let mut intids = self
            .controllers
            .intids(visit.node, visit.interrupt_parent)?;
        Some(Timer {
            secure_phys: intids.next()??,
            phys: intids.next()??,
            virt: intids.next()??,
            hyp_phys: intids.next()??,
            hyp_virt: intids.next().flatten(),
        })
    }
}

/// Whether `node`'s `status` is absent, `okay` or `ok`.
fn is_enabled(node: FdtNode<'_, '_>) -> bool {
    node.property("status").is_none() || matches!(str_property(node, "status"), Some("okay" | "ok"))
}

/// Whether `node` (a child of the root) describes RAM.
fn is_memory(node: FdtNode<'_, '_>) -> bool {
    match str_property(node, "device_type") {
        Some(device_type) => device_type == "memory",
        None => base_name(node.name) == "memory",
    }
}

/// The devices we read.
enum DeviceKind {
    Uart,
    VirtioMmio,
    GicV3,
    Timer,
    Psci,
}

/// Which device `node` is, from the first `compatible` string we know.
fn device_kind(node: FdtNode<'_, '_>) -> Option<DeviceKind> {
    node.compatible()?.all().find_map(|name| match name {
        "arm,pl011" => Some(DeviceKind::Uart),
        "virtio,mmio" => Some(DeviceKind::VirtioMmio),
        "arm,gic-v3" => Some(DeviceKind::GicV3),
        "arm,armv8-timer" | "arm,armv7-timer" => Some(DeviceKind::Timer),
        _ if name.starts_with("arm,psci") => Some(DeviceKind::Psci),
        _ => None,
    })
}

/// The PSCI description, if `method` names a known conduit.
fn psci(node: FdtNode<'_, '_>) -> Option<Psci> {
    let conduit = match str_property(node, "method")? {
        "smc" => Conduit::Smc,
        "hvc" => Conduit::Hvc,
        _ => return None,
    };
    let newer = node
        .compatible()
        .is_some_and(|compatible| compatible.all().any(|name| name.starts_with("arm,psci-")));
    let version = if newer {
        PsciVersion::V0_2OrLater
    } else {
        PsciVersion::V0_1
    };
    Some(Psci {
        conduit,
        version,
        cpu_on: u32_property(node, "cpu_on"),
    })
}
