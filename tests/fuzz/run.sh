#!/bin/bash
# Build and run the libFuzzer target for the domain parser (not a CI step).
#   bash tests/fuzz/run.sh [SECONDS] [TARGET]   default 300, fuzz-domain
#   TARGET: fuzz-domain (the domain XML parser), fuzz-virtqueue (hostile rings) or
#   fuzz-virtio-blk (virtio-blk requests parsed and run from hostile rings) or
#   fuzz-virtio-net (virtio-net rx/tx/control against hostile rings and frames)
# Seeds come from shared/corpus (libvirt's test XML); findings land in build-fuzz/.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build-fuzz
secs=${1:-300}
target=${2:-fuzz-domain}
mkdir -p "$out/corpus"
[ -f "$top/build/config.h" ] || { echo "run 'bash run-tests.sh unit' first (needs build/config.h)"; exit 1; }
util_srcs=$(ls "$top"/lib/util/*.c)
conf_srcs=$(ls "$top"/lib/conf/*.c)
extra_libs=
if [ "$target" = fuzz-virtqueue ]; then
	conf_srcs="$top/drivers/virtio/queue.c $top/qemu-wrap/gmem.c"
	out=$top/build-fuzz-vq
	mkdir -p "$out/corpus"
elif [ "$target" = fuzz-virtio-blk ]; then
	conf_srcs="$(ls "$top"/drivers/virtio/{queue,virtio,blk,blk_queue}.c "$top"/drivers/block/*.c) $top/qemu-wrap/gmem.c"
	extra_libs=$(pkg-config --libs liburing 2>/dev/null)
	out=$top/build-fuzz-blk
	mkdir -p "$out/corpus"
elif [ "$target" = fuzz-virtio-net ]; then
	conf_srcs="$(ls "$top"/drivers/virtio/{queue,virtio,net,net_rxtx,net_pair}.c "$top"/drivers/net/{tap,vhost_net}.c) $top/qemu-wrap/gmem.c"
	# The target watches the used ring through these (see its comment).
	extra_libs="-Wl,--wrap=vq_pop,--wrap=vq_fill,--wrap=vq_flush"
	out=$top/build-fuzznet
	mkdir -p "$out/corpus"
fi
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I"$top" -I"$top/build" \
	-DLOCALEDIR='"/usr/share/locale"' $(pkg-config --cflags libxml-2.0 json-c libsystemd) \
	-o "$out/$target" "$top/tests/fuzz/$target.c" $util_srcs $conf_srcs \
	$(pkg-config --libs libxml-2.0 json-c libsystemd) $extra_libs -lpthread
shared=${VIREO_SHARED_DIR:-$top/../shared}
[ "$target" = fuzz-domain ] &&
	cp "$shared"/corpus/libvirt-xml/qemuxml2argvdata/*.xml "$out/corpus/" 2>/dev/null || true
cd "$out"
./"$target" -max_total_time="$secs" -max_len=16384 -timeout=10 -print_final_stats=1 \
	corpus 2>&1 | tail -25
