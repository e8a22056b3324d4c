#!/bin/bash
# libvirt's network XML test corpus (networkxml2xmlin -> networkxml2xmlout) through
# lib/conf/network.c (tests/helpers/netxml-format, via tests/compat/compat.py): every
# case formats exactly as libvirt does (the uuid only when the input has one), to a
# fixpoint, and `vireo validate` accepts it.
# VIREO_SHARED_DIR overrides where the shared folder (or the corpus) is.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
NAME="libvirt network XML corpus"

shared=${VIREO_SHARED_DIR:-$VIREO_TEST_SRCDIR/../shared}
corpus=$shared/corpus/libvirt-xml
for c in "$shared/corpus/libvirt-xml" "$shared/libvirt-xml" "$shared"; do
	[ -d "$c/networkxml2xmlin" ] && { corpus=$c; break; }
done

if ! command -v python3 >/dev/null 2>&1; then
	t_skip "$NAME" "python3 is not installed"; t_done; exit
fi
if [ ! -d "$corpus/networkxml2xmlin" ]; then
	t_skip "$NAME" "no libvirt corpus at $corpus (set VIREO_SHARED_DIR)"; t_done; exit
fi
NETXML=$VIREO_TEST_BUILDDIR/tests/helpers/netxml-format
VIREO=$VIREO_TEST_BUILDDIR/client/vireo
if [ ! -x "$NETXML" ]; then
	t_fail "$NAME" "$NETXML is not built"; t_done; exit
fi

exec python3 "$VIREO_TEST_SRCDIR/tests/compat/compat.py" network --vireo "$VIREO" \
	--netxml-format "$NETXML" --corpus "$corpus" --schema-dir "$VIREO_TEST_SRCDIR/schemas"
