/* libFuzzer target: the split virtqueue against hostile rings.
 *
 * The input is guest memory: the first 16 bytes pick the queue size, the ring
 * addresses and the negotiated features; the rest is copied into a 1 MiB guest RAM
 * at 0. vq_pop/vq_push then run until the ring is empty or broken. Whatever the
 * guest wrote, the queue code must stay inside guest RAM (ASan + a guard page after
 * it), end, and either pop well-formed chains or report the ring broken. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drivers/virtio/queue.h"
#include "qemu-wrap/gmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (2u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gmem mem;
	static bool ready;
	static struct vq_chain chain;
	struct virtqueue vq;
	uint16_t hdr[8];

	if (!ready) {
		if (gmem_init(&mem, RAM + 4096, NULL) < 0)
			abort();
		/* A guard page right after guest RAM: any stray read past it faults. */
		mprotect(mem.base + RAM, 4096, PROT_NONE);
		mem.slots[0].size = RAM;
		mem.size = RAM;
		ready = true;
	}
	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	memset(mem.base, 0, RAM);
	memcpy(mem.base, data + sizeof(hdr), size - sizeof(hdr) < RAM ? size - sizeof(hdr) : RAM);
	memset(&vq, 0, sizeof(vq));
	vq.mem = &mem;
	vq.size = (uint16_t)(1u << (hdr[0] % 16));	/* 1 .. 32768 */
	vq.desc_gpa = (uint64_t)hdr[1] << 4;
	vq.avail_gpa = (uint64_t)hdr[2] << 4;
	vq.used_gpa = (uint64_t)hdr[3] << 4;
	vq.indirect = hdr[4] & 1;
	vq.event_idx = hdr[4] & 2;
	vq.last_avail = hdr[5];
	vq.used_idx = hdr[6];
	vq.ready = true;
	if (vq_check_rings(&vq, NULL) < 0)
		return 0;
	for (unsigned round = 0; round < 2u * vq.size + 2; round++) {
		int r = vq_pop(&vq, &chain, NULL);

		if (r <= 0)
			break;
		if (chain.n_out + chain.n_in > VQ_MAX_SEGS)
			abort();
		vq_push(&vq, chain.head, (uint32_t)chain.in_len);
		vq_should_notify(&vq);
	}
	return 0;
}
