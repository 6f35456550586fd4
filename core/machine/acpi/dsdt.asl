/*
 * vtlab's DSDT: the devices of the machine that an OS cannot find by
 * enumeration. Compiled by iasl at build time (CMakeLists.txt of this
 * folder) and embedded; the other tables are built in acpi_tables.cpp.
 * Every address and number here is one of core/machine/platform_layout.h;
 * tests/firmware checks the ones a test can see (the _S5 package, the
 * device IDs, the ECAM and fw_cfg resources).
 *
 * Layout as QEMU's q35 machine, where a guest can tell:
 *   \_SB.PCI0        PCI Express host bridge, bus 0-255, ECAM (MCFG), _PRT
 *   \_SB.PCI0.ISA    the LPC bridge (00:1f.0) with the legacy devices
 *   \_SB.LNKA-LNKD   PCI interrupt links: PIRQA#-PIRQD# of the LPC bridge
 *   \_SB.PCI0.FWCF   QEMU's fw_cfg (QEMU0002), ports 0x510-0x51b
 *   \_SB.HPET        HPET at 0xfed00000
 *   \_SB.MBRS        motherboard resources: the ECAM window, PM and fw_cfg ports
 *   \_S5             soft off: PM1_CNT.SLP_TYP = 0, as QEMU
 *   \_PIC            the OS's interrupt model (8259 or IOAPIC), for _PRT
 *
 * PCI interrupts (devices/pci/pci_bus.h): pin INTA#-INTD# (0-3) of device D
 * on bus 0 drives PIRQ ((D + pin) mod 4), PIRQA#-PIRQD#. In 8259 mode the
 * LPC bridge routes a PIRQ to the ISA IRQ of its PIRQx_ROUT register, which
 * the link devices read and write; in IOAPIC mode PIRQx# is GSI 16 + x.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 2, "VTLAB ", "VTLABPC ", 1)
{
    /* Soft off (S5): SLP_TYPa, SLP_TYPb, reserved. platform::kSlpTypS5. */
    Name (_S5, Package (0x04) { 0x00, 0x00, 0x00, 0x00 })

    /* The interrupt model the OS chose: 0 = 8259 (the default), 1 = IOAPIC. */
    Name (PICF, Zero)
    Method (_PIC, 1, NotSerialized)
    {
        PICF = Arg0
    }

    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A08"))   /* PCI Express root bridge */
            Name (_CID, EisaId ("PNP0A03"))   /* PCI root bridge */
            Name (_SEG, 0x00)
            Name (_UID, 0x00)
            Name (_BBN, 0x00)

            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                /* Configuration mechanism #1 ports, used by the bridge itself */
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                /* Legacy VGA window */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                /* 32-bit PCI window: platform::kPciMmioBase .. kPciMmioEnd - 1 */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })

            /*
             * Operating system capabilities for PCI Express (PCI Firmware
             * specification 3.2, 4.5): the OS may control every feature it
             * asks for among the five the specification defines.
             */
            Method (_OSC, 4, NotSerialized)
            {
                CreateDWordField (Arg3, 0x00, CDW1)
                If ((Arg0 == ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766")))
                {
                    CreateDWordField (Arg3, 0x08, CDW3)
                    Local0 = CDW3
                    Local0 &= 0x1F
                    If ((Arg1 != One))
                    {
                        CDW1 |= 0x08    /* unrecognized revision */
                    }
                    If ((CDW3 != Local0))
                    {
                        CDW1 |= 0x10    /* capabilities masked */
                    }
                    CDW3 = Local0
                }
                Else
                {
                    CDW1 |= 0x04        /* unrecognized UUID */
                }
                Return (Arg3)
            }

            /*
             * Interrupt routing of every device on bus 0: 32 devices times
             * four pins, device D pin P (0 = INTA#) to PIRQ ((D + P) mod 4):
             * through link LNKA-LNKD in 8259 mode, GSI 16-19 in IOAPIC mode.
             */
            Method (_PRT, 0, NotSerialized)
            {
                Local0 = Package (0x80) {}
                Local1 = Zero
                While ((Local1 < 0x80))
                {
                    Local2 = (Local1 >> 0x02)
                    Local3 = (Local1 & 0x03)
                    Local4 = ((Local2 + Local3) & 0x03)
                    If (PICF)
                    {
                        Local5 = Package (0x04) { Zero, Zero, Zero, Zero }
                        Local5 [0x03] = (Local4 + 0x10)
                    }
                    ElseIf ((Local4 == Zero))
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKA, Zero }
                    }
                    ElseIf ((Local4 == One))
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKB, Zero }
                    }
                    ElseIf ((Local4 == 0x02))
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKC, Zero }
                    }
                    Else
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKD, Zero }
                    }
                    Local5 [Zero] = ((Local2 << 0x10) | 0xFFFF)
                    Local5 [One] = Local3
                    Local0 [Local1] = Local5
                    Local1++
                }
                Return (Local0)
            }

            /* The LPC bridge, PCI 00:1f.0, and what sits behind it. */
            Device (ISA)
            {
                Name (_ADR, 0x001F0000)

                /* PIRQA#-PIRQD#_ROUT (0x60-0x63) and PIRQE#-PIRQH#_ROUT (0x68-0x6b) */
                OperationRegion (PIRQ, PCI_Config, 0x60, 0x0C)
                Field (PIRQ, ByteAcc, NoLock, Preserve)
                {
                    PRQA,   8,
                    PRQB,   8,
                    PRQC,   8,
                    PRQD,   8,
                    Offset (0x08),
                    PRQE,   8,
                    PRQF,   8,
                    PRQG,   8,
                    PRQH,   8
                }

                Device (PIC)
                {
                    Name (_HID, EisaId ("PNP0000"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
                        IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
                        IO (Decode16, 0x04D0, 0x04D0, 0x01, 0x02)   /* ELCR */
                        IRQNoFlags () {2}
                    })
                }

                Device (TMR)
                {
                    Name (_HID, EisaId ("PNP0100"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
                        IRQNoFlags () {0}
                    })
                }

                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                        IRQNoFlags () {1}
                    })
                }

                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IRQNoFlags () {12}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, 0x01)
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                        IRQNoFlags () {4}
                    })
                }
            }

            /* QEMU's firmware configuration device (docs/specs/fw_cfg.rst). */
            Device (FWCF)
            {
                Name (_HID, "QEMU0002")
                Name (_STA, 0x0B)
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C)
                })
            }
        }

        /*
         * PCI interrupt links (PNP0C0F): a PIRQx_ROUT register each. Bit 7
         * set: not routed (disabled); else bits 3:0 are the ISA IRQ.
         */
        Method (IQST, 1, NotSerialized)
        {
            If ((Arg0 & 0x80))
            {
                Return (0x09)   /* present, disabled */
            }
            Return (0x0B)       /* present, enabled, functioning */
        }

        Method (IQCR, 1, Serialized)
        {
            Local0 = ResourceTemplate ()
            {
                IRQ (Level, ActiveLow, Shared, ) {}
            }
            CreateWordField (Local0, 0x01, IRQM)
            If (!(Arg0 & 0x80))
            {
                IRQM = (One << (Arg0 & 0x0F))
            }
            Return (Local0)
        }

        Method (IQSR, 1, NotSerialized)
        {
            CreateWordField (Arg0, 0x01, IRQM)
            Local0 = FindSetRightBit (IRQM)
            If ((Local0 == Zero))
            {
                Return (0x80)
            }
            Return ((Local0 - One))
        }

        Device (LNKA)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x01)
            Name (_PRS, ResourceTemplate () { IRQ (Level, ActiveLow, Shared, ) {5, 10, 11} })
            Method (_STA, 0, NotSerialized) { Return (IQST (\_SB.PCI0.ISA.PRQA)) }
            Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQA |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (\_SB.PCI0.ISA.PRQA)) }
            Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQA = IQSR (Arg0) }
        }

        Device (LNKB)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x02)
            Name (_PRS, ResourceTemplate () { IRQ (Level, ActiveLow, Shared, ) {5, 10, 11} })
            Method (_STA, 0, NotSerialized) { Return (IQST (\_SB.PCI0.ISA.PRQB)) }
            Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQB |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (\_SB.PCI0.ISA.PRQB)) }
            Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQB = IQSR (Arg0) }
        }

        Device (LNKC)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x03)
            Name (_PRS, ResourceTemplate () { IRQ (Level, ActiveLow, Shared, ) {5, 10, 11} })
            Method (_STA, 0, NotSerialized) { Return (IQST (\_SB.PCI0.ISA.PRQC)) }
            Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQC |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (\_SB.PCI0.ISA.PRQC)) }
            Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQC = IQSR (Arg0) }
        }

        Device (LNKD)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x04)
            Name (_PRS, ResourceTemplate () { IRQ (Level, ActiveLow, Shared, ) {5, 10, 11} })
            Method (_STA, 0, NotSerialized) { Return (IQST (\_SB.PCI0.ISA.PRQD)) }
            Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQD |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (\_SB.PCI0.ISA.PRQD)) }
            Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQD = IQSR (Arg0) }
        }

        Device (HPET)
        {
            Name (_HID, EisaId ("PNP0103"))
            Name (_UID, 0x00)
            Name (_STA, 0x0F)
            Name (_CRS, ResourceTemplate ()
            {
                Memory32Fixed (ReadOnly, 0xFED00000, 0x00000400)
            })
        }

        /* Motherboard resources: what the OS must leave alone. */
        Device (MBRS)
        {
            Name (_HID, EisaId ("PNP0C02"))
            Name (_UID, 0x01)
            Name (_CRS, ResourceTemplate ()
            {
                /* ECAM: platform::kEcamBase, 256 buses */
                Memory32Fixed (ReadWrite, 0xB0000000, 0x10000000)
                /* ACPI PM registers: platform::kPmBase */
                IO (Decode16, 0x0600, 0x0600, 0x01, 0x80)
            })
        }
    }
}
