#!/bin/bash
# libvirt's domain XML test corpus through the built client (tests/compat/compat.py):
# out-of-subset and error cases are rejected without a crash; every other case
# validates, formats to a fixpoint, matches libvirt's qemuxml2xmloutdata and .args
# (at least 90% of each; the mismatches below that line are TAP TODOs).
# VIREO_SHARED_DIR overrides where the shared folder (or the corpus) is.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
NAME="libvirt domain XML corpus"

shared=${VIREO_SHARED_DIR:-$VIREO_TEST_SRCDIR/../shared}
corpus=$shared/corpus/libvirt-xml
for c in "$shared/corpus/libvirt-xml" "$shared/libvirt-xml" "$shared"; do
	[ -d "$c/qemuxml2argvdata" ] && { corpus=$c; break; }
done

if ! command -v python3 >/dev/null 2>&1; then
	t_skip "$NAME" "python3 is not installed"; t_done; exit
fi
if [ ! -d "$corpus/qemuxml2argvdata" ]; then
	t_skip "$NAME" "no libvirt corpus at $corpus (set VIREO_SHARED_DIR)"; t_done; exit
fi
VIREO=$VIREO_TEST_BUILDDIR/client/vireo
if [ ! -x "$VIREO" ]; then
	t_fail "$NAME" "$VIREO is not built"; t_done; exit
fi

exec python3 "$VIREO_TEST_SRCDIR/tests/compat/compat.py" domain --vireo "$VIREO" \
	--corpus "$corpus" --schema-dir "$VIREO_TEST_SRCDIR/schemas" \
	--subset "$VIREO_TEST_SRCDIR/tests/compat/out-of-subset.tsv" \
	--domain-header "$VIREO_TEST_SRCDIR/lib/conf/domain.h"
