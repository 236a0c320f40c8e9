//! The facts of device trees that QEMU `virt` itself generated.

use tessera_devtree::{
    Conduit, Cpu, Device, Platform, Psci, PsciVersion, Region, Timer, Uart, bootarg,
    header_total_size, parse,
};

const SMP4: &[u8] = include_bytes!("fixtures/virt-gicv3-smp4.dtb");
const NOV_SMP2: &[u8] = include_bytes!("fixtures/virt-gicv3-nov-smp2.dtb");
const GICV2: &[u8] = include_bytes!("fixtures/virt-gicv2-smp1.dtb");

const GIB: u64 = 1 << 30;

fn cpus(count: u64) -> Vec<Cpu> {
    (0..count).map(|mpidr| Cpu { mpidr }).collect()
}

/// The console every `virt` tree has: PL011 at 0x0900_0000, SPI 1.
const UART: Uart = Uart {
    region: Region {
        base: 0x0900_0000,
        size: 0x1000,
    },
    intid: Some(33),
};

/// The 32 virtio-mmio slots: 0x200 bytes each from 0x0a00_0000, SPIs 16..48.
fn virtio_slots() -> Vec<Device> {
    (0..32)
        .map(|slot| Device {
            region: Region {
                base: 0x0a00_0000 + 0x200 * slot,
                size: 0x200,
            },
            intid: Some(48 + u32::try_from(slot).unwrap()),
        })
        .collect()
}

fn checked_parse(dtb: &[u8]) -> Platform<'_> {
    assert_eq!(header_total_size(&dtb[..8]), Ok(dtb.len()));
    parse(dtb).unwrap()
}

#[test]
fn smp4_with_virtualization() {
    let platform = checked_parse(SMP4);
    assert_eq!(
        platform.memory,
        [Region {
            base: 0x4000_0000,
            size: 2 * GIB
        }]
    );
    assert!(platform.reserved.is_empty());
    assert_eq!(platform.cpus, cpus(4)[..]);
    assert_eq!(platform.uart, Some(UART));
    let gic = platform.gic.unwrap();
    assert_eq!(
        gic.dist,
        Region {
            base: 0x0800_0000,
            size: 0x1_0000
        }
    );
    assert_eq!(
        gic.redists,
        [Region {
            base: 0x080a_0000,
            size: 0xf6_0000
        }]
    );
    assert_eq!(gic.maintenance_intid, Some(25));
    let timer = Timer {
        secure_phys: 29,
        phys: 30,
        virt: 27,
        hyp_phys: 26,
        hyp_virt: Some(28),
    };
    assert_eq!(platform.timer, Some(timer));
    let psci = Psci {
        conduit: Conduit::Smc,
        version: PsciVersion::V0_2OrLater,
        cpu_on: Some(0xc400_0003),
    };
    assert_eq!(platform.psci, Some(psci));
    assert_eq!(platform.virtio_mmio, virtio_slots()[..]);
}

#[test]
fn smp4_chosen() {
    let platform = parse(SMP4).unwrap();
    assert_eq!(
        platform.initrd,
        Some(Region {
            base: 0x4800_0000,
            size: 1234
        })
    );
    assert_eq!(platform.bootargs, "tessera.test=boot console=x");
    assert_eq!(bootarg(platform.bootargs, "tessera.test"), Some("boot"));
    assert_eq!(bootarg(platform.bootargs, "console"), Some("x"));
    assert_eq!(bootarg(platform.bootargs, "quiet"), None);
}

#[test]
fn smp2_without_virtualization() {
    let platform = checked_parse(NOV_SMP2);
    assert_eq!(
        platform.memory,
        [Region {
            base: 0x4000_0000,
            size: GIB
        }]
    );
    assert_eq!(platform.cpus, cpus(2)[..]);
    assert_eq!(platform.uart, Some(UART));
    let gic = platform.gic.unwrap();
    assert_eq!(
        gic.dist,
        Region {
            base: 0x0800_0000,
            size: 0x1_0000
        }
    );
    assert_eq!(
        gic.redists,
        [Region {
            base: 0x080a_0000,
            size: 0xf6_0000
        }]
    );
    assert_eq!(gic.maintenance_intid, None);
    let timer = Timer {
        secure_phys: 29,
        phys: 30,
        virt: 27,
        hyp_phys: 26,
        hyp_virt: None,
    };
    assert_eq!(platform.timer, Some(timer));
    assert_eq!(platform.psci.map(|psci| psci.conduit), Some(Conduit::Hvc));
    assert_eq!(platform.virtio_mmio, virtio_slots()[..]);
    assert_eq!(platform.initrd, None);
    assert_eq!(platform.bootargs, "");
}

#[test]
fn gicv2_has_no_gicv3_but_decodes_interrupts() {
    let platform = checked_parse(GICV2);
    assert_eq!(
        platform.memory,
        [Region {
            base: 0x4000_0000,
            size: GIB / 2
        }]
    );
    assert_eq!(platform.cpus, cpus(1)[..]);
    assert_eq!(platform.gic, None);
    assert_eq!(platform.uart, Some(UART));
    let timer = Timer {
        secure_phys: 29,
        phys: 30,
        virt: 27,
        hyp_phys: 26,
        hyp_virt: None,
    };
    assert_eq!(platform.timer, Some(timer));
    assert_eq!(platform.virtio_mmio.len(), 32);
}

#[test]
fn trailing_bytes_after_total_size_are_ignored() {
    let mut longer = SMP4.to_vec();
    longer.extend_from_slice(&[0xff; 64]);
    assert_eq!(parse(&longer), parse(SMP4));
}

#[test]
fn every_truncation_of_a_fixture_fails() {
    for len in 0..SMP4.len() {
        assert!(parse(&SMP4[..len]).is_err(), "{len} bytes parsed");
    }
}
