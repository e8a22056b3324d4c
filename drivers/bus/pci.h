/* The PCI host bridge: configuration mechanism 1, PCI functions, BARs, INTx, MSI-X.
 *
 * One bus (bus 0) behind an i440FX-like host bridge (8086:1237, class 0x0600) at
 * 00:00.0. The guest reaches configuration space through the address register at
 * 0xcf8 (a dword with the enable bit 31) and the data window 0xcfc-0xcff (byte, word
 * or dword at any offset inside it): register pci_conf1_io_ops on the port bus with
 * pci_host_register(). A function nobody added reads all ones (vendor 0xffff).
 *
 * A function (struct pci_dev) has 256 bytes of configuration space with a write
 * mask per byte (bits the guest may change) and the standard type-0 header. A BAR
 * gets its address from a window when it is added (I/O 0xc000-0xffff, 32-bit memory
 * 0xe0000000-0xfebfffff) and the command register's decode bit for it is set, as
 * firmware would leave it: the guest boots without a BIOS. The BAR is live on the
 * matching iobus from then on; the guest may size it (write all ones, read the size
 * mask), move it (the region moves on the iobus) and turn decoding off (the region
 * leaves the iobus until decoding is back on).
 *
 * INTx: pin INTA-INTD of slot s goes to PIRQ (s - 1 + pin - 1) mod 4, as on QEMU's
 * i440FX, and PIRQA-D to GSI 10, 10, 11, 11, as SeaBIOS programs them; the interrupt
 * line register starts with that GSI. The lines are level-triggered and shared.
 *
 * MSI-X: pci_msix_init() puts the capability in configuration space and the vector
 * table and PBA inside one of the function's memory BARs; the bridge answers those
 * ranges of the BAR itself and hands the rest of it to the device's io_ops. The
 * device learns of every change to a vector's effective message (masked, or address
 * and data while unmasked) through its msix_update() callback. A device signals a
 * vector with pci_msix_notify(): while the vector is masked (its own bit, the function
 * mask, or MSI-X off) that sets its PBA bit, and unmasking sends it (PCI 3.0, 6.8.2.9).
 * With the host's msi_irqfd_* hooks (KVM irqfds), the first unmask of a vector binds an
 * eventfd to a route for its message, later address or data changes re-route it, and
 * signalling writes the eventfd; without them, or where a bind failed, the message goes
 * through msi_send. Disabling MSI-X or masking leaves the irqfd bound but unused;
 * pci_host_free() unbinds them all.
 *
 * Threads and locks: configuration, the MSI-X table and INTx state are behind one
 * lock per host; every device callback (io_ops of a BAR, pci_dev_ops) runs without
 * it, so callbacks may call any function here. Each MSI-X function also has:
 *  - a signal lock (a rwlock): pci_msix_notify() holds it for reading around the
 *    mask test and the eventfd write (or msi_send, or setting the PBA bit), so any
 *    number of device threads signal at once; whoever changes what a vector does
 *    holds it for writing, so once a guest's mask write has completed no thread
 *    sends that vector any more, and a pending bit is never lost;
 *  - an update lock, taken before the host lock, that orders the route changes
 *    (ioctls, outside the host lock) of concurrent table writes from several vCPUs.
 * Order: update lock, host lock, signal lock. Signalling takes only the signal lock,
 * never the host lock, and never blocks on an ioctl. pci_msix_enabled() reads a flag
 * without a lock. Functions are added before the guest runs and live until
 * pci_host_free(). */
#ifndef VIREO_DRIVERS_BUS_PCI_H
#define VIREO_DRIVERS_BUS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/bus/iobus.h"
#include "lib/util/err.h"

#define PCI_CONF1_IOBASE	0xcf8
#define PCI_CONF1_IOLEN		8
#define PCI_PIO_WINDOW_BASE	0xc000
#define PCI_PIO_WINDOW_END	0x10000		/* exclusive */
#define PCI_MMIO_WINDOW_BASE	0xe0000000u
#define PCI_MMIO_WINDOW_END	0xfec00000u	/* exclusive: the IOAPIC is next */
#define PCI_CONFIG_SIZE		256
#define PCI_NUM_BARS		6
#define PCI_BAR_UNMAPPED	UINT64_MAX
#define PCI_MSIX_MAX_VECTORS	2048
#define PCI_DEVFN(slot, fn)	((int)(((slot) << 3) | (fn)))
#define PCI_DEVFN_AUTO		(-1)		/* function 0 of the first free slot */
#define PCI_SLOT(devfn)		(((unsigned)(devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)		((unsigned)(devfn) & 7)

/* Configuration registers (bhyve's / FreeBSD's names, to stay clear of
 * <linux/pci_regs.h>). */
#define PCIR_VENDOR		0x00
#define PCIR_DEVICE		0x02
#define PCIR_COMMAND		0x04
#define PCIR_STATUS		0x06
#define PCIR_REVID		0x08
#define PCIR_PROGIF		0x09
#define PCIR_SUBCLASS		0x0a
#define PCIR_CLASS		0x0b
#define PCIR_CACHELNSZ		0x0c
#define PCIR_LATTIMER		0x0d
#define PCIR_HDRTYPE		0x0e
#define PCIR_BAR(i)		(0x10 + 4 * (i))
#define PCIR_SUBVEND		0x2c
#define PCIR_SUBDEV		0x2e
#define PCIR_CAP_PTR		0x34
#define PCIR_INTLINE		0x3c
#define PCIR_INTPIN		0x3d
#define PCIM_CMD_PORTEN		0x0001
#define PCIM_CMD_MEMEN		0x0002
#define PCIM_CMD_BUSMASTEREN	0x0004
#define PCIM_CMD_INTX_DISABLE	0x0400
#define PCIM_STATUS_INTR	0x0008
#define PCIM_STATUS_CAPPRESENT	0x0010
#define PCIM_HDRTYPE_MFDEV	0x80
#define PCIY_VENDOR		0x09
#define PCIY_MSIX		0x11
#define PCIM_MSIXCTRL_ENABLE	0x8000
#define PCIM_MSIXCTRL_MASKALL	0x4000

struct pci_host;
struct pci_dev;

struct pci_host_config {
	struct iobus *pio;		/* I/O BARs and conf1 go here */
	struct iobus *mmio;		/* memory BARs go here */
	/* Drive a GSI for INTx (level-triggered); NULL: INTx goes nowhere. */
	int (*irq_set)(void *ctx, unsigned gsi, int level);
	/* Deliver an MSI (KVM_SIGNAL_MSI); NULL: MSI-X messages are dropped. */
	int (*msi_send)(void *ctx, uint64_t addr, uint32_t data);
	/* The MSI-X fast path (KVM irqfds); msi_irqfd_bind NULL: msi_send only.
	 * bind: an eventfd whose write(2) of 1 delivers (addr, data); returns it and sets
	 * *route, or -1 (the vector then uses msi_send). update: point route at a new
	 * (addr, data), 0 or -1. unbind: forget route and close fd. Called from vCPU
	 * threads (table and configuration writes) and at pci_host_free(). */
	int (*msi_irqfd_bind)(void *ctx, uint64_t addr, uint32_t data, unsigned *route);
	int (*msi_irqfd_update)(void *ctx, unsigned route, uint64_t addr, uint32_t data);
	void (*msi_irqfd_unbind)(void *ctx, unsigned route, int fd);
	void *ctx;
};

/* Identity of a function; class_code is class << 16 | subclass << 8 | prog-if. */
struct pci_id {
	uint16_t vendor, device;
	uint16_t subsystem_vendor, subsystem;
	uint32_t class_code;
	uint8_t revision;
	uint8_t intx_pin;		/* 0: none, 1-4: INTA-INTD */
};

/* The effective state of an MSI-X vector: masked includes the function mask and
 * MSI-X being disabled. */
struct pci_msix_msg {
	uint64_t addr;
	uint32_t data;
	bool masked;
};

/* Optional device hooks; each runs without the host lock. */
struct pci_dev_ops {
	/* A guest read of [offset, offset + size) of configuration space: return true
	 * with *value to answer it, false for the stored bytes. */
	bool (*config_read)(void *opaque, struct pci_dev *dev, unsigned offset,
			    unsigned size, uint32_t *value);
	/* After the guest wrote configuration space (masks already applied). */
	void (*config_write)(void *opaque, struct pci_dev *dev, unsigned offset,
			     unsigned size, uint32_t value);
	/* A BAR moved to addr, or left the bus (addr PCI_BAR_UNMAPPED): for ioeventfds. */
	void (*bar_remapped)(void *opaque, struct pci_dev *dev, unsigned bar, uint64_t addr);
	/* An MSI-X vector was masked or unmasked (by its own bit, the function mask or
	 * the enable bit), or its address or data changed while unmasked: re-read it
	 * with pci_msix_get(). Runs after the bridge has re-routed the vector's irqfd. */
	void (*msix_update)(void *opaque, struct pci_dev *dev, unsigned vector);
};

/* A host bridge at 00:00.0 with nothing else on the bus; cfg is copied. */
struct pci_host *pci_host_new(const struct pci_host_config *cfg);
/* Unregisters every BAR and conf1, frees every function. */
void pci_host_free(struct pci_host *host);

/* Claim PCI_CONF1_IOBASE..+PCI_CONF1_IOLEN on the port bus. Returns 0 or -1. */
int pci_host_register(struct pci_host *host, struct err **errp);

/* PIIX's reset control register sits at 0xcf9, inside conf1's address dword: byte
 * accesses to 0xcf9 go to ops/dev (offset 0), e.g. &acpi_pm_reset_io_ops. */
void pci_host_set_cf9_handler(struct pci_host *host, const struct io_ops *ops, void *dev);

/* Record every function's configuration space as its power-on state. The guest boots
 * without firmware, so what the VMM set up (BARs allocated, decoding on) is what it
 * finds at power-on: call this once every device is added. */
void pci_host_seal(struct pci_host *host);
/* Machine reset, after the devices are quiesced and reset: every function sealed
 * gets back the power-on values of what the guest can write (command, BARs,
 * interrupt line, ...), MSI-X off with every entry zero and masked and nothing
 * pending, and conf1's address register is cleared. Moved BARs reach bar_remapped()
 * and vectors that were live msix_update(), as for guest writes. Functions added
 * after pci_host_seal() are left alone. */
void pci_host_reset(struct pci_host *host);

/* For the machine's ACPI/MP tables: the GSI of pin (1-4) on slot. */
unsigned pci_intx_gsi(unsigned slot, unsigned pin);

/* Add a function at devfn (PCI_DEVFN(slot, fn), or PCI_DEVFN_AUTO); name is for
 * messages. Returns the function (owned by host) or NULL with an error: the address
 * is taken or out of range, or no slot is free. */
struct pci_dev *pci_dev_add(struct pci_host *host, int devfn, const char *name,
			    const struct pci_id *id, struct err **errp);
void pci_dev_set_ops(struct pci_dev *dev, const struct pci_dev_ops *ops, void *opaque);
unsigned pci_dev_devfn(const struct pci_dev *dev);
const char *pci_dev_name(const struct pci_dev *dev);

/* Give the function BAR index (0-5) of size bytes (a power of two: I/O 4-256, memory
 * >= 16), in I/O or 32-bit non-prefetchable memory space; guest accesses go to
 * ops/opaque (ops may be NULL: a BAR that only holds the MSI-X table). Allocates the
 * address from the window and maps it. Returns 0 or -1 with an error. */
int pci_dev_add_bar(struct pci_dev *dev, unsigned index, uint64_t size, bool is_io,
		    const struct io_ops *ops, void *opaque, struct err **errp);
/* Where BAR index is on its bus now, or PCI_BAR_UNMAPPED. */
uint64_t pci_dev_bar_addr(struct pci_dev *dev, unsigned index);

/* Device-side configuration access, without write masks; offsets and sizes (1, 2, 4)
 * outside the space are ignored (get returns all ones). */
uint32_t pci_config_get(struct pci_dev *dev, unsigned offset, unsigned size);
void pci_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t value);
/* Which bits of [offset, offset + size) the guest may write. */
void pci_config_set_wmask(struct pci_dev *dev, unsigned offset, unsigned size,
			  uint32_t mask);

/* Append a capability of len bytes (>= 2) with id to the list; its bytes after the
 * header are zero and read-only until set otherwise. Returns its offset, or -1 with
 * an error when configuration space is full. */
int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, unsigned len, struct err **errp);
/* Offset of the first capability with id, or -1 (the walk is bounded). */
int pci_dev_find_cap(struct pci_dev *dev, uint8_t id);

/* Assert (1) or deassert (0) the function's INTx pin. The line is shared; it is
 * driven only while INTx is not disabled in the command register and MSI-X is off. */
void pci_dev_set_intx(struct pci_dev *dev, int level);

/* MSI-X with nvectors (1-2048): table at table_offset and PBA at pba_offset inside
 * memory BAR bar (added before; both 8-byte aligned, inside it, not overlapping).
 * Every vector starts masked. Returns 0 or -1 with an error. */
int pci_msix_init(struct pci_dev *dev, unsigned nvectors, unsigned bar,
		  uint32_t table_offset, uint32_t pba_offset, struct err **errp);
/* The effective message of vector; false if there is no such vector. */
bool pci_msix_get(struct pci_dev *dev, unsigned vector, struct pci_msix_msg *msg);
/* The enable bit, read without a lock (for a device choosing MSI-X or INTx). */
bool pci_msix_enabled(struct pci_dev *dev);
/* Signal vector from any thread: sent now through its irqfd or msi_send (returns 1),
 * or, while masked, remembered in the PBA and sent when unmasked (returns 0); -1 if
 * there is no such vector (e.g. VIRTIO_MSI_NO_VECTOR). */
int pci_msix_notify(struct pci_dev *dev, unsigned vector);
/* The eventfd that sends vector now (its KVM irqfd: a write(2) of 1 delivers the
 * message without the bridge), or -1 while the vector is masked or has no irqfd. For
 * a back-end in the kernel that signals by itself (vhost's call fd): the fd stays
 * open until pci_host_free() and follows later address/data changes, but a later
 * mask is not seen through it: the device switches the back-end to an eventfd of its
 * own from msix_update() while the vector is masked (virtio-net's vhost does). */
int pci_msix_irqfd(struct pci_dev *dev, unsigned vector);

/* conf1, dev = the struct pci_host. */
extern const struct io_ops pci_conf1_io_ops;

#endif
