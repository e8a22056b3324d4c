#!/bin/bash
# The vireo CLI's shape before it talks to a daemon: help, version, errors, exit codes.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
VIREO=$VIREO_TEST_BUILDDIR/client/vireo

out=$("$VIREO" version); rc=$?
if [ $rc -eq 0 ] && grep -qx "Compiled against library: vireo 0.1.0" <<<"$out"; then
	t_ok "version prints virsh's shape"
else
	t_fail "version prints virsh's shape" "rc=$rc" "$out"
fi

out=$("$VIREO" help); rc=$?
[ $rc -eq 0 ] && grep -q "^    version " <<<"$out" && t_ok "help lists the commands" \
	|| t_fail "help lists the commands" "$out"

out=$("$VIREO" frobnicate 2>&1); rc=$?
if [ $rc -eq 2 ] && [ "$out" = "error: unknown command: 'frobnicate'" ]; then
	t_ok "an unknown command is 'error: ...' with exit 2"
else
	t_fail "an unknown command is 'error: ...' with exit 2" "rc=$rc" "$out"
fi

out=$("$VIREO" --connect 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "option '--connect' needs a value" <<<"$out"; then
	t_ok "a missing option value is named"
else
	t_fail "a missing option value is named" "rc=$rc" "$out"
fi

t_done
