/* Internals shared by pci.c and pci_msix.c; not for devices. */
#ifndef VIREO_DRIVERS_BUS_PCI_PRIV_H
#define VIREO_DRIVERS_BUS_PCI_PRIV_H

#include <pthread.h>

#include "drivers/bus/pci.h"

#define PCI_MAX_GSI	24

struct pci_bar {
	struct pci_dev *dev;
	unsigned index;
	uint64_t size;			/* 0: the BAR is not implemented */
	bool is_io;
	const struct io_ops *ops;	/* the device's handlers, may be NULL */
	void *opaque;
	struct io_ops trampoline;	/* what the iobus calls: MSI-X first, then ops */
	uint64_t mapped_at;		/* PCI_BAR_UNMAPPED when off the bus */
};

/* A vector whose effective message changed: after the host lock is dropped, its
 * signal path is brought in line with the table (pci_msix_run_events). */
struct msix_event {
	unsigned vector;
};

/* What a locked operation changed, for the device callbacks run after unlocking. */
struct pci_events {
	unsigned nremaps;
	struct {
		unsigned bar;
		uint64_t addr;
	} remaps[PCI_NUM_BARS];
	unsigned nmsix;
	struct msix_event *msix;	/* local or heap-allocated (msix_heap) */
	bool msix_heap;
	struct msix_event local[2];
};

struct pci_msix;

struct pci_dev {
	struct pci_host *host;
	char *name;
	uint8_t devfn;
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];		/* bits the guest may write */
	uint8_t w1cmask[PCI_CONFIG_SIZE];	/* bits a guest 1 clears */
	struct pci_bar bars[PCI_NUM_BARS];
	unsigned next_cap;			/* first free byte for a capability */
	unsigned last_cap;			/* offset of the last capability, or 0 */
	unsigned gsi;				/* INTx GSI, 0 without a pin */
	bool intx_level;			/* what the device asserts */
	bool intx_driven;			/* counted in host->gsi_users */
	struct pci_msix *msix;
	const struct pci_dev_ops *ops;
	void *opaque;
	bool sealed;				/* reset_config holds the power-on state */
	uint8_t reset_config[PCI_CONFIG_SIZE];	/* config as pci_host_seal() found it */
};

struct pci_host {
	pthread_mutex_t lock;
	struct pci_host_config cfg;
	uint32_t conf_addr;
	struct pci_dev *devs[256];		/* by devfn */
	uint64_t next_pio, next_mmio;		/* window allocators */
	unsigned gsi_users[PCI_MAX_GSI];	/* functions driving each INTx GSI */
	const struct io_ops *cf9_ops;
	void *cf9_dev;
	bool registered;
};

uint32_t pci_cfg_get(const uint8_t *space, unsigned offset, unsigned size);
void pci_cfg_put(uint8_t *space, unsigned offset, unsigned size, uint32_t value);
bool pci_range_touches(unsigned offset, unsigned size, unsigned reg, unsigned len);
void pci_update_intx_locked(struct pci_dev *dev);
void pci_update_mappings_locked(struct pci_dev *dev, struct pci_events *ev);
void pci_run_events(struct pci_dev *dev, struct pci_events *ev);

/* pci_msix.c */
bool pci_msix_enabled_locked(const struct pci_dev *dev);
void pci_msix_config_written_locked(struct pci_dev *dev, unsigned offset, unsigned size,
				    struct pci_events *ev);
void pci_msix_run_events(struct pci_dev *dev, struct pci_events *ev);
/* BAR accesses that hit the MSI-X table or PBA: true if handled. */
bool pci_msix_bar_read(struct pci_bar *bar, uint64_t offset, unsigned size, uint64_t *value);
bool pci_msix_bar_write(struct pci_bar *bar, uint64_t offset, unsigned size, uint64_t value);
void pci_msix_free(struct pci_dev *dev);
/* pci_host_reset(): take the update lock (before the host lock), put MSI-X back to its
 * power-on state with the host lock held too, collecting the vectors that changed. */
void pci_msix_lock_update(struct pci_dev *dev);
void pci_msix_unlock_update(struct pci_dev *dev);
void pci_msix_reset_locked(struct pci_dev *dev, struct pci_events *ev);

#endif
