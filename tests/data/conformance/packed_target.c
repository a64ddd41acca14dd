// A target whose types kernel headers define under `#pragma pack` (ACPI tables, CPER records,
// Hyper-V VMBus packets, 802.3ad LACP frames): GCC lays them out with a maximum field
// alignment, which the conformance suite checks field for field.
#include <linux/module.h>
#include <linux/acpi.h>
#include <acpi/actbl.h>
#include <acpi/actbl1.h>
#include <acpi/actbl2.h>
#include <linux/cper.h>
#include <linux/hyperv.h>
#include <net/bond_3ad.h>

struct acpi_table_header *table_header;
struct acpi_table_rsdp rsdp;
struct acpi_table_facs facs;
struct acpi_table_fadt fadt;
struct acpi_table_madt madt;
struct acpi_madt_local_apic local_apic;
struct acpi_table_srat srat;
struct acpi_table_mcfg mcfg;
struct cper_sec_mem_err mem_err;
struct cper_record_header cper_header;
struct vmbus_channel_offer offer;
struct vmpacket_descriptor vm_desc;
struct lacpdu lacpdu;
struct bond_marker marker;
MODULE_LICENSE("GPL");
