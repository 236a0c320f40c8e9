//! Edge cases on device trees built with `vm-fdt`.

mod common;

use common::{GIC, PPI, SPI, cells, compatible, gic_v3, node, pl011, tree, tree_with};
use tessera_devtree::{Conduit, Cpu, Error, PsciVersion, Region, Timer, Uart, parse};
use vm_fdt::FdtWriter;

/// The UART of [`pl011`] at `base` with the given INTID.
fn uart(base: u64, intid: Option<u32>) -> Option<Uart> {
    Some(Uart {
        region: Region { base, size: 0x1000 },
        intid,
    })
}

#[test]
fn missing_nodes_give_nothing() {
    let dtb = tree(|_| {});
    let platform = parse(&dtb).unwrap();
    assert!(platform.memory.is_empty());
    assert!(platform.reserved.is_empty());
    assert!(platform.cpus.is_empty());
    assert!(platform.virtio_mmio.is_empty());
    assert_eq!(platform.uart, None);
    assert_eq!(platform.gic, None);
    assert_eq!(platform.timer, None);
    assert_eq!(platform.psci, None);
    assert_eq!(platform.initrd, None);
    assert_eq!(platform.bootargs, "");
}

#[test]
fn empty_chosen_gives_nothing() {
    let dtb = tree(|fdt| node(fdt, "chosen", |_| {}));
    let platform = parse(&dtb).unwrap();
    assert_eq!(platform.initrd, None);
    assert_eq!(platform.bootargs, "");
}

#[test]
fn one_cell_addresses_and_sizes() {
    let dtb = tree_with(&[], 1, 1, |fdt| {
        node(fdt, "memory@40000000", |fdt| {
            fdt.property_string("device_type", "memory").unwrap();
            fdt.property_array_u32("reg", &[0x4000_0000, 0x1000_0000, 0x8000_0000, 0x100_0000])
                .unwrap();
        });
        node(fdt, "pl011@9000000", |fdt| {
            compatible(fdt, &["arm,pl011"]);
            fdt.property_array_u32("reg", &[0x0900_0000, 0x1000])
                .unwrap();
        });
        node(fdt, "virtio_mmio@a000000", |fdt| {
            compatible(fdt, &["virtio,mmio"]);
            fdt.property_array_u32("reg", &[0x0a00_0000, 0x200])
                .unwrap();
        });
    });
    let platform = parse(&dtb).unwrap();
    let memory = [
        Region {
            base: 0x4000_0000,
            size: 0x1000_0000,
        },
        Region {
            base: 0x8000_0000,
            size: 0x100_0000,
        },
    ];
    assert_eq!(platform.memory, memory);
    assert_eq!(platform.uart, uart(0x0900_0000, None));
    assert_eq!(
        platform.virtio_mmio[0].region,
        Region {
            base: 0x0a00_0000,
            size: 0x200
        }
    );
}

#[test]
fn memory_nodes_are_found_by_device_type_or_name_and_capped() {
    let dtb = tree(|fdt| {
        for index in 0..6u64 {
            node(fdt, &format!("ram@{index:x}"), |fdt| {
                fdt.property_string("device_type", "memory").unwrap();
                fdt.property_array_u64(
                    "reg",
                    &[index << 32, 0x1000, (index << 32) + 0x10_0000, 0x2000],
                )
                .unwrap();
            });
        }
        node(fdt, "memory@0", |fdt| {
            fdt.property_array_u64("reg", &[0, 1]).unwrap()
        });
        node(fdt, "memory@1", |fdt| {
            fdt.property_string("device_type", "cpu").unwrap();
            fdt.property_array_u64("reg", &[7, 7]).unwrap();
        });
    });
    let platform = parse(&dtb).unwrap();
    assert_eq!(platform.memory.len(), 8);
    assert_eq!(
        platform.memory[0],
        Region {
            base: 0,
            size: 0x1000
        }
    );
    assert_eq!(
        platform.memory[7],
        Region {
            base: (3 << 32) + 0x10_0000,
            size: 0x2000
        }
    );
}

#[test]
fn memory_with_bad_cell_sizes_is_skipped() {
    let dtb = tree_with(&[], 3, 2, |fdt| {
        node(fdt, "memory@0", |fdt| {
            fdt.property_array_u32("reg", &[0, 0, 0, 0, 1]).unwrap()
        });
    });
    assert!(parse(&dtb).unwrap().memory.is_empty());
}

#[test]
fn malformed_cell_count_properties_are_not_trusted() {
    let mut fdt = FdtWriter::new().unwrap();
    let root = fdt.begin_node("").unwrap();
    fdt.property("#address-cells", &[0, 1]).unwrap();
    node(&mut fdt, "memory@0", |fdt| {
        fdt.property_array_u32("reg", &[0, 0, 0, 1]).unwrap()
    });
    fdt.end_node(root).unwrap();
    let dtb = fdt.finish().unwrap();
    assert!(parse(&dtb).unwrap().memory.is_empty());
}

#[test]
fn reservations_come_from_the_block_and_reserved_memory() {
    let dtb = tree_with(&[(0x4000_0000, 0x1000)], 2, 2, |fdt| {
        node(fdt, "reserved-memory", |fdt| {
            fdt.property_u32("#address-cells", 1).unwrap();
            fdt.property_u32("#size-cells", 1).unwrap();
            fdt.property_null("ranges").unwrap();
            node(fdt, "fw@48000000", |fdt| {
                fdt.property_array_u32("reg", &[0x4800_0000, 0x2000])
                    .unwrap()
            });
            node(fdt, "pool", |fdt| fdt.property_u32("size", 0x1000).unwrap());
            node(fdt, "off@49000000", |fdt| {
                fdt.property_array_u32("reg", &[0x4900_0000, 0x1000])
                    .unwrap();
                fdt.property_string("status", "disabled").unwrap();
            });
        });
    });
    let platform = parse(&dtb).unwrap();
    let expected = [
        Region {
            base: 0x4000_0000,
            size: 0x1000,
        },
        Region {
            base: 0x4800_0000,
            size: 0x2000,
        },
    ];
    assert_eq!(platform.reserved, expected);
}

#[test]
fn reservations_are_capped() {
    let block: Vec<_> = (0..6).map(|i| (i * 0x1_0000, 0x1000)).collect();
    let dtb = tree_with(&block, 2, 2, |fdt| {
        node(fdt, "reserved-memory", |fdt| {
            fdt.property_u32("#address-cells", 2).unwrap();
            fdt.property_u32("#size-cells", 2).unwrap();
            for i in 0..4u64 {
                node(fdt, &format!("r@{i}"), |fdt| {
                    fdt.property_array_u64("reg", &[0x100_0000 + i, 1]).unwrap()
                });
            }
        });
    });
    let platform = parse(&dtb).unwrap();
    assert_eq!(platform.reserved.len(), 8);
    assert_eq!(
        platform.reserved[5],
        Region {
            base: 0x5_0000,
            size: 0x1000
        }
    );
    assert_eq!(
        platform.reserved[7],
        Region {
            base: 0x100_0001,
            size: 1
        }
    );
}

/// A `/cpus` node with the given `#address-cells` and one `cpu@…` per
/// `reg` value.
fn cpus_tree(address_cells: u32, regs: &[Vec<u32>]) -> Vec<u8> {
    tree(|fdt| {
        node(fdt, "cpus", |fdt| {
            fdt.property_u32("#address-cells", address_cells).unwrap();
            fdt.property_u32("#size-cells", 0).unwrap();
            for (index, reg) in regs.iter().enumerate() {
                node(fdt, &format!("cpu@{index:x}"), |fdt| {
                    fdt.property_string("device_type", "cpu").unwrap();
                    fdt.property_array_u32("reg", reg).unwrap();
                });
            }
            node(fdt, "cpu-map", |fdt| node(fdt, "cluster0", |_| {}));
        });
    })
}

/// The CPUs [`parse`] finds in [`cpus_tree`].
fn cpus(address_cells: u32, regs: &[Vec<u32>]) -> Vec<Cpu> {
    parse(&cpus_tree(address_cells, regs))
        .unwrap()
        .cpus
        .to_vec()
}

#[test]
fn more_than_sixteen_cpus_keep_the_first_sixteen() {
    let regs: Vec<_> = (0..20).map(|i| vec![i]).collect();
    let expected: Vec<_> = (0..16).map(|mpidr| Cpu { mpidr }).collect();
    assert_eq!(cpus(1, &regs), expected);
}

#[test]
fn two_cell_cpu_ids_carry_aff3() {
    let found = cpus(2, &[vec![0, 0x100], vec![1, 0x0203]]);
    assert_eq!(
        found,
        [
            Cpu { mpidr: 0x100 },
            Cpu {
                mpidr: 0x1_0000_0203
            }
        ]
    );
}

#[test]
fn cpus_without_a_usable_reg_are_skipped() {
    assert_eq!(cpus(1, &[vec![], vec![5], vec![]]), [Cpu { mpidr: 5 }]);
    assert!(cpus(3, &[vec![0, 0, 1]]).is_empty());
}

#[test]
fn interrupts_are_decoded_through_the_gic() {
    let dtb = tree(|fdt| {
        gic_v3(fdt, &[(0x080a_0000, 0xf6_0000)]);
        pl011(fdt, 0x0900_0000, &[SPI, 1, 4]);
    });
    assert_eq!(parse(&dtb).unwrap().uart, uart(0x0900_0000, Some(33)));
}

#[test]
fn malformed_interrupts_give_no_intid() {
    let cases: [&[u32]; 7] = [
        &[],
        &[SPI, 1],
        &[SPI, 1, 4, 0],
        &[2, 1, 4],
        &[SPI, 988, 4],
        &[PPI, 16, 4],
        &[7, 7, 7],
    ];
    for interrupts in cases {
        let dtb = tree(|fdt| {
            gic_v3(fdt, &[(0x080a_0000, 0xf6_0000)]);
            pl011(fdt, 0x0900_0000, interrupts);
        });
        assert_eq!(
            parse(&dtb).unwrap().uart,
            uart(0x0900_0000, None),
            "{interrupts:?}"
        );
    }
}

#[test]
fn interrupts_need_a_gic_parent() {
    let without_gic = tree(|fdt| pl011(fdt, 0x0900_0000, &[SPI, 1, 4]));
    assert_eq!(parse(&without_gic).unwrap().uart, uart(0x0900_0000, None));
    let other_parent = tree(|fdt| {
        gic_v3(fdt, &[(0x080a_0000, 0xf6_0000)]);
        node(fdt, "gpio", |fdt| fdt.property_phandle(2).unwrap());
        node(fdt, "pl011@9000000", |fdt| {
            compatible(fdt, &["arm,pl011"]);
            fdt.property_array_u64("reg", &[0x0900_0000, 0x1000])
                .unwrap();
            fdt.property_u32("interrupt-parent", 2).unwrap();
            fdt.property("interrupts", &cells(&[SPI, 1, 4])).unwrap();
        });
    });
    assert_eq!(parse(&other_parent).unwrap().uart, uart(0x0900_0000, None));
}

#[test]
fn a_gic_with_other_interrupt_cells_is_not_decoded() {
    let dtb = tree(|fdt| {
        node(fdt, "intc@8000000", |fdt| {
            compatible(fdt, &["arm,gic-v3"]);
            fdt.property_array_u64("reg", &[0x0800_0000, 0x1_0000, 0x080a_0000, 0x1_0000])
                .unwrap();
            fdt.property_u32("#interrupt-cells", 4).unwrap();
            fdt.property_phandle(GIC).unwrap();
        });
        pl011(fdt, 0x0900_0000, &[SPI, 1, 4]);
    });
    let platform = parse(&dtb).unwrap();
    assert_eq!(platform.uart, uart(0x0900_0000, None));
    assert!(platform.gic.is_some());
}

/// A tree with a GIC and a timer with the given `interrupts` cells.
fn timer_tree(interrupts: &[u32]) -> Vec<u8> {
    tree(|fdt| {
        gic_v3(fdt, &[(0x080a_0000, 0xf6_0000)]);
        node(fdt, "timer", |fdt| {
            compatible(fdt, &["arm,armv7-timer"]);
            fdt.property("interrupts", &cells(interrupts)).unwrap();
        });
    })
}

#[test]
fn timer_needs_four_valid_interrupts() {
    let four = [PPI, 13, 4, PPI, 14, 4, PPI, 11, 4, PPI, 10, 4];
    let timer = Timer {
        secure_phys: 29,
        phys: 30,
        virt: 27,
        hyp_phys: 26,
        hyp_virt: None,
    };
    assert_eq!(parse(&timer_tree(&four)).unwrap().timer, Some(timer));
    assert_eq!(parse(&timer_tree(&four[..9])).unwrap().timer, None);
    let mut bad_second = four;
    bad_second[4] = 99;
    assert_eq!(parse(&timer_tree(&bad_second)).unwrap().timer, None);
    let mut bad_fifth = four.to_vec();
    bad_fifth.extend_from_slice(&[9, 12, 4]);
    assert_eq!(parse(&timer_tree(&bad_fifth)).unwrap().timer, Some(timer));
    let mut ragged = four.to_vec();
    ragged.push(1);
    assert_eq!(parse(&timer_tree(&ragged)).unwrap().timer, None);
}

/// A tree with a GIC whose `#redistributor-regions` is `count` (absent if
/// `None`) and whose `reg` has `given` redistributor regions.
fn gic_tree(count: Option<&[u8]>, given: u64) -> Vec<u8> {
    tree(|fdt| {
        node(fdt, "intc@8000000", |fdt| {
            compatible(fdt, &["arm,gic-v3"]);
            let mut reg = vec![0x0800_0000, 0x1_0000];
            reg.extend((0..given).flat_map(|i| [0x080a_0000 + i * 0x10_0000, 0x2_0000]));
            fdt.property_array_u64("reg", &reg).unwrap();
            if let Some(count) = count {
                fdt.property("#redistributor-regions", count).unwrap();
            }
            fdt.property_u32("#interrupt-cells", 3).unwrap();
            fdt.property_phandle(GIC).unwrap();
            fdt.property("interrupts", &cells(&[PPI, 9, 4])).unwrap();
        });
    })
}

#[test]
fn gic_redistributor_regions() {
    let count = |dtb: Vec<u8>| parse(&dtb).unwrap().gic.map(|gic| gic.redists.len());
    assert_eq!(count(gic_tree(None, 3)), Some(1));
    assert_eq!(count(gic_tree(Some(&cells(&[2])), 2)), Some(2));
    assert_eq!(count(gic_tree(Some(&cells(&[6])), 6)), Some(4));
    assert_eq!(count(gic_tree(Some(&cells(&[3])), 1)), Some(1));
    assert_eq!(count(gic_tree(Some(&[0, 2]), 2)), Some(1));
    assert_eq!(count(gic_tree(Some(&cells(&[0])), 2)), None);
    assert_eq!(count(gic_tree(None, 0)), None);
}

#[test]
fn gic_fields() {
    let gic = parse(&gic_tree(Some(&cells(&[2])), 2))
        .unwrap()
        .gic
        .unwrap();
    assert_eq!(
        gic.dist,
        Region {
            base: 0x0800_0000,
            size: 0x1_0000
        }
    );
    let second = Region {
        base: 0x081a_0000,
        size: 0x2_0000,
    };
    assert_eq!(
        gic.redists,
        [
            Region {
                base: 0x080a_0000,
                size: 0x2_0000
            },
            second
        ]
    );
    assert_eq!(gic.maintenance_intid, Some(25));
}

/// Two PL011s, the second aliased as `serial1`, and the given `stdout-path`.
fn console_tree(stdout_path: &str) -> Vec<u8> {
    tree(|fdt| {
        gic_v3(fdt, &[(0x080a_0000, 0xf6_0000)]);
        pl011(fdt, 0x0900_0000, &[SPI, 1, 4]);
        node(fdt, "soc", |fdt| {
            fdt.property_u32("#address-cells", 2).unwrap();
            fdt.property_u32("#size-cells", 2).unwrap();
            pl011(fdt, 0x0904_0000, &[SPI, 8, 4]);
        });
        node(fdt, "rtc@9010000", |_| {});
        node(fdt, "aliases", |fdt| {
            fdt.property_string("serial1", "/soc/pl011@9040000")
                .unwrap();
            fdt.property_string("bad", "soc").unwrap();
        });
        node(fdt, "chosen", |fdt| {
            fdt.property_string("stdout-path", stdout_path).unwrap()
        });
    })
}

#[test]
fn stdout_path_selects_the_uart() {
    let second = uart(0x0904_0000, Some(40));
    let first = uart(0x0900_0000, Some(33));
    let cases = [
        ("/soc/pl011@9040000", second),
        ("/soc/pl011@9040000:115200n8", second),
        ("/soc/pl011", second),
        ("serial1", second),
        ("serial1:115200", second),
        ("/pl011@9000000", first),
        ("/rtc@9010000", first),
        ("/soc", first),
        ("/soc/", first),
        ("/nowhere/pl011@9040000", first),
        ("serial9", first),
        ("bad", first),
        ("", first),
        ("/", first),
    ];
    for (path, expected) in cases {
        assert_eq!(
            parse(&console_tree(path)).unwrap().uart,
            expected,
            "{path:?}"
        );
    }
}

#[test]
fn disabled_devices_are_skipped() {
    let dtb = tree(|fdt| {
        for (index, status) in ["disabled", "okay", "fail", "ok"].iter().enumerate() {
            let base = 0x0a00_0000 + 0x200 * index as u64;
            node(fdt, &format!("virtio_mmio@{base:x}"), |fdt| {
                compatible(fdt, &["virtio,mmio"]);
                fdt.property_array_u64("reg", &[base, 0x200]).unwrap();
                fdt.property_string("status", status).unwrap();
            });
        }
        node(fdt, "pl011@9040000", |fdt| {
            compatible(fdt, &["arm,pl011"]);
            fdt.property_array_u64("reg", &[0x0904_0000, 0x1000])
                .unwrap();
            fdt.property_string("status", "disabled").unwrap();
        });
    });
    let platform = parse(&dtb).unwrap();
    let bases: Vec<_> = platform
        .virtio_mmio
        .iter()
        .map(|device| device.region.base)
        .collect();
    assert_eq!(bases, [0x0a00_0200, 0x0a00_0600]);
    assert_eq!(platform.uart, None);
}

#[test]
fn more_than_32_virtio_devices_keep_the_first_32() {
    let dtb = tree(|fdt| {
        for slot in 0..40u64 {
            let base = 0x0a00_0000 + 0x200 * slot;
            node(fdt, &format!("virtio_mmio@{base:x}"), |fdt| {
                compatible(fdt, &["virtio,mmio"]);
                fdt.property_array_u64("reg", &[base, 0x200]).unwrap();
            });
        }
        node(fdt, "virtio_mmio@0", |fdt| {
            compatible(fdt, &["virtio,mmio"])
        });
    });
    let platform = parse(&dtb).unwrap();
    assert_eq!(platform.virtio_mmio.len(), 32);
    assert_eq!(
        platform.virtio_mmio[31].region.base,
        0x0a00_0000 + 31 * 0x200
    );
}

/// A tree with one PSCI node with the given compatible, method and cpu_on.
fn psci_tree(names: &[&str], method: Option<&str>, cpu_on: Option<&[u8]>) -> Vec<u8> {
    tree(|fdt| {
        node(fdt, "psci", |fdt| {
            compatible(fdt, names);
            if let Some(method) = method {
                fdt.property_string("method", method).unwrap();
            }
            if let Some(cpu_on) = cpu_on {
                fdt.property("cpu_on", cpu_on).unwrap();
            }
        });
    })
}

#[test]
fn psci_versions_and_conduits() {
    let psci = |dtb: Vec<u8>| parse(&dtb).unwrap().psci;
    let v01 = psci(psci_tree(
        &["arm,psci"],
        Some("hvc"),
        Some(&cells(&[0x9500_0006])),
    ))
    .unwrap();
    assert_eq!(
        (v01.conduit, v01.version, v01.cpu_on),
        (Conduit::Hvc, PsciVersion::V0_1, Some(0x9500_0006))
    );
    let v02 = psci(psci_tree(&["arm,psci-0.2"], Some("smc"), None)).unwrap();
    assert_eq!(
        (v02.conduit, v02.version, v02.cpu_on),
        (Conduit::Smc, PsciVersion::V0_2OrLater, None)
    );
    let bad_cpu_on = psci(psci_tree(&["arm,psci"], Some("smc"), Some(&[1, 2]))).unwrap();
    assert_eq!(bad_cpu_on.cpu_on, None);
    assert_eq!(psci(psci_tree(&["arm,psci-1.0"], Some("svc"), None)), None);
    assert_eq!(psci(psci_tree(&["arm,psci-1.0"], None, None)), None);
    assert_eq!(psci(psci_tree(&["arm,scmi"], Some("smc"), None)), None);
}

/// A tree whose `/chosen` has the given raw properties.
fn chosen_tree(properties: &[(&str, &[u8])]) -> Vec<u8> {
    tree(|fdt| {
        node(fdt, "chosen", |fdt| {
            for (name, value) in properties {
                fdt.property(name, value).unwrap();
            }
        });
    })
}

#[test]
fn initrd_accepts_one_and_two_cell_numbers() {
    let dtb = chosen_tree(&[
        ("linux,initrd-start", &cells(&[0x4800_0000])),
        ("linux,initrd-end", &cells(&[0, 0x4801_0000])),
    ]);
    assert_eq!(
        parse(&dtb).unwrap().initrd,
        Some(Region {
            base: 0x4800_0000,
            size: 0x1_0000
        })
    );
}

#[test]
fn malformed_initrd_is_none() {
    let cases: [(&[u8], &[u8]); 4] = [
        (&cells(&[0x4800_0000]), &cells(&[0x4700_0000])),
        (&[0, 0, 1], &cells(&[2])),
        (&cells(&[1]), &cells(&[0, 0, 2])),
        (&cells(&[1]), &[]),
    ];
    for (start, end) in cases {
        let dtb = chosen_tree(&[("linux,initrd-start", start), ("linux,initrd-end", end)]);
        assert_eq!(parse(&dtb).unwrap().initrd, None, "{start:?} {end:?}");
    }
    let only_start = chosen_tree(&[("linux,initrd-start", &cells(&[1]))]);
    assert_eq!(parse(&only_start).unwrap().initrd, None);
}

#[test]
fn bootargs_edge_cases() {
    let bootargs = |value: &[u8]| {
        let dtb = chosen_tree(&[("bootargs", value)]);
        parse(&dtb).unwrap().bootargs.to_owned()
    };
    assert_eq!(bootargs(b"a=1 b\0"), "a=1 b");
    assert_eq!(bootargs(b"no-nul"), "no-nul");
    assert_eq!(bootargs(b"first\0second\0"), "first");
    assert_eq!(bootargs(b""), "");
    assert_eq!(bootargs(b"\xff\xfe\0"), "");
}

#[test]
fn nesting_beyond_the_limit_is_unsupported() {
    let nested = |depth: usize| {
        let mut fdt = FdtWriter::new().unwrap();
        let nodes: Vec<_> = (0..depth)
            .map(|level| fdt.begin_node(if level == 0 { "" } else { "n" }).unwrap())
            .collect();
        for node in nodes.into_iter().rev() {
            fdt.end_node(node).unwrap();
        }
        fdt.finish().unwrap()
    };
    assert!(parse(&nested(tessera_devtree::MAX_DEPTH)).is_ok());
    assert_eq!(
        parse(&nested(tessera_devtree::MAX_DEPTH + 1)),
        Err(Error::Unsupported)
    );
}

#[test]
fn errors_display() {
    assert_eq!(
        Error::BadHeader.to_string(),
        "device tree header is invalid"
    );
    assert_eq!(
        Error::Truncated.to_string(),
        "device tree blob is truncated"
    );
    assert_eq!(
        Error::Malformed.to_string(),
        "device tree structure is malformed"
    );
    assert_eq!(
        Error::Unsupported.to_string(),
        "device tree uses an unsupported feature"
    );
}
