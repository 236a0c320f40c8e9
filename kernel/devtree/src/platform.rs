//! The facts [`parse`](crate::parse) returns.

/// A range of physical addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// The first address.
    pub base: u64,
    /// The length in bytes.
    pub size: u64,
}

impl Region {
    /// The first address after the region, or `None` if that overflows.
    pub fn end(&self) -> Option<u64> {
        self.base.checked_add(self.size)
    }
}

/// One CPU, from the `reg` of a `/cpus/cpu@…` node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpu {
    /// The affinity fields of its `MPIDR_EL1` (Aff3 in bits 39:32).
    pub mpidr: u64,
}

/// The PL011 UART used as the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uart {
    /// Its registers.
    pub region: Region,
    /// Its GIC INTID, if the tree gives a valid one.
    pub intid: Option<u32>,
}

/// A GICv3 interrupt controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GicV3 {
    /// The distributor (GICD) registers.
    pub dist: Region,
    /// The redistributor (GICR) regions, as many as `#redistributor-regions`
    /// says (1 if absent) and the `reg` holds, at most 4.
    pub redists: heapless::Vec<Region, 4>,
    /// The INTID of the virtual CPU interface maintenance interrupt, present
    /// when the tree describes the virtualization extensions.
    pub maintenance_intid: Option<u32>,
}

/// The architected timer's interrupts, as GIC INTIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timer {
    /// The secure EL1 physical timer.
    pub secure_phys: u32,
    /// The non-secure EL1 physical timer.
    pub phys: u32,
    /// The EL1 virtual timer.
    pub virt: u32,
    /// The EL2 physical (hypervisor) timer.
    pub hyp_phys: u32,
    /// The EL2 virtual timer, if the tree lists it.
    pub hyp_virt: Option<u32>,
}

/// How PSCI calls reach the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    /// `SMC #0`, to EL3 firmware (or an emulation of it).
    Smc,
    /// `HVC #0`, to an EL2 hypervisor.
    Hvc,
}

/// Which PSCI binding the tree uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciVersion {
    /// Only `arm,psci`: function IDs come from the tree.
    V0_1,
    /// `arm,psci-0.2` or later: the standard function IDs apply.
    V0_2OrLater,
}

/// The Power State Coordination Interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Psci {
    /// SMC or HVC, from `method`.
    pub conduit: Conduit,
    /// The binding, from `compatible`.
    pub version: PsciVersion,
    /// The `cpu_on` function ID the tree gives (the PSCI 0.1 binding's).
    pub cpu_on: Option<u32>,
}

/// A memory-mapped device with one interrupt, such as a virtio-mmio slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// Its registers.
    pub region: Region,
    /// Its GIC INTID, if the tree gives a valid one.
    pub intid: Option<u32>,
}

/// Everything the kernel learns from the device tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Platform<'a> {
    /// RAM: every `reg` region of every memory node under the root.
    pub memory: heapless::Vec<Region, 8>,
    /// RAM not to use: the memory reservation block, then each
    /// `/reserved-memory` child's `reg` regions.
    pub reserved: heapless::Vec<Region, 8>,
    /// The CPUs, in tree order.
    pub cpus: heapless::Vec<Cpu, 16>,
    /// The PL011 that `/chosen/stdout-path` names, else the first PL011.
    pub uart: Option<Uart>,
    /// The first GICv3.
    pub gic: Option<GicV3>,
    /// The first architected timer (`arm,armv8-timer` or `arm,armv7-timer`)
    /// with at least four valid interrupts.
    pub timer: Option<Timer>,
    /// The first PSCI node with a known `method`.
    pub psci: Option<Psci>,
    /// The `virtio,mmio` devices, in tree order.
    pub virtio_mmio: heapless::Vec<Device, 32>,
    /// The initial RAM disk, from `/chosen/linux,initrd-start` and `-end`.
    pub initrd: Option<Region>,
    /// The kernel command line, `/chosen/bootargs`; `""` if absent or not
    /// UTF-8.
    pub bootargs: &'a str,
}
