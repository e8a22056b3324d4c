#!/bin/bash
# vireo-vmm boots the test guest (PVH) and reports its TAP; bad command lines are
# refused with QEMU-style messages naming what is wrong.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir

# Option errors need no /dev/kvm: they are refused before the VM is built.
bad_cmdline() {	# NAME EXPECTED-TEXT ARG...
	local name=$1 want=$2; shift 2
	local out rc
	out=$(timeout 10 "$VMM" "$@" </dev/null 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$want" <<<"$out"; then
		t_ok "$name"
	else
		t_fail "$name" "command: vireo-vmm $*" "expected status 1 and: $want" \
			"got status $rc and: $out"
	fi
}

bad_cmdline "an unknown option exits 1 naming it" \
	"vireo-vmm: unsupported option -foo" -foo
bad_cmdline "an unknown device property exits 1 naming property and device" \
	"vireo-vmm: unknown property 'bogus' for device 'isa-serial'" \
	-m 128 -nodefaults -display none -device isa-serial,bogus=1 -kernel "$GUEST"
why=$(vmm_host_problem) && vmm_skip_all "$why" \
	"a missing kernel file exits 1 naming the file" \
	"a garbage kernel file exits 1 naming the file" \
	"an empty kernel file exits 1 naming the file" \
	"the test guest leaves through isa-debug-exit with status 1" \
	"every TAP line of the test guest is ok" \
	"the guest's 'boot' mode (the start benchmark's) leaves at once with status 1" \
	"under libvirt's -sandbox line every TAP line of the test guest is ok" \
	"a sandboxed worker runs under a seccomp filter with no_new_privs and still answers QMP"

# The kernel is loaded once the VM exists, so these need /dev/kvm too.
bad_cmdline "a missing kernel file exits 1 naming the file" \
	"$T_TMP/no-such-kernel" \
	-m 128 -nodefaults -display none -kernel "$T_TMP/no-such-kernel"
yes "this is not a kernel" | head -c 65536 >"$T_TMP/garbage-kernel"
bad_cmdline "a garbage kernel file exits 1 naming the file" \
	"$T_TMP/garbage-kernel" \
	-m 128 -nodefaults -display none -kernel "$T_TMP/garbage-kernel"
: >"$T_TMP/empty-kernel"
bad_cmdline "an empty kernel file exits 1 naming the file" \
	"$T_TMP/empty-kernel" \
	-m 128 -nodefaults -display none -kernel "$T_TMP/empty-kernel"

# The guest's self-tests, serial on stdio.
vmm_start boot -serial stdio -append test
vmm_wait_exit 20
rc=$VMM_RC
if [ "$rc" = 1 ]; then
	t_ok "the test guest leaves through isa-debug-exit with status 1"
else
	t_fail "the test guest leaves through isa-debug-exit with status 1" \
		"status $rc" "$(vmm_log boot)"
fi

# The plan is 1..N, then exactly "ok 1" .. "ok N" in order and no "not ok".
tap=$(vmm_tap_lines <"$T_TMP/boot.out")
plan=$(grep -m1 -oE '^1\.\.[0-9]+$' <<<"$tap")
n=${plan#1..}
want=$(echo "$plan"; [ -n "$n" ] && [ "$n" -gt 0 ] && seq 1 "$n" | sed 's/^/ok /')
got=$(sed -E 's/^((not )?ok [0-9]+).*/\1/' <<<"$tap")
if [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$got" = "$want" ]; then
	t_ok "every TAP line of the test guest is ok"
else
	t_fail "every TAP line of the test guest is ok" "TAP lines:" "$tap" "$(vmm_log boot)"
fi

# -sandbox as libvirt passes it: the filter must not get in the way of a whole run.
SANDBOX=on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny
vmm_start sbtest -serial stdio -sandbox "$SANDBOX" -append test
vmm_wait_exit 20
tap=$(vmm_tap_lines <"$T_TMP/sbtest.out")
if [ "$VMM_RC" = 1 ] && [ -n "$tap" ] && ! grep -q '^not ok' <<<"$tap"; then
	t_ok "under libvirt's -sandbox line every TAP line of the test guest is ok"
else
	t_fail "under libvirt's -sandbox line every TAP line of the test guest is ok" \
		"status $VMM_RC" "$(vmm_log sbtest)"
fi
vmm_start sbidle -serial stdio -sandbox "$SANDBOX" -append idle \
	-qmp "unix:$T_TMP/sbidle.sock,server=on,wait=off"
vmm_wait_line sbidle "vireo-testguest ready"
st=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$VMM_PID/status" 2>/dev/null | tr -s '\t ' ' ')
q=$(vmm_qmp sbidle query-status quit closed)
vmm_wait_exit 10
if grep -q '^Seccomp: 2$' <<<"$st" && grep -q '^NoNewPrivs: 1$' <<<"$st" &&
   grep -q '^return query-status .*"running"' <<<"$q" && [ "$VMM_RC" = 0 ]; then
	t_ok "a sandboxed worker runs under a seccomp filter with no_new_privs and still answers QMP"
else
	t_fail "a sandboxed worker runs under a seccomp filter with no_new_privs and still answers QMP" \
		"/proc status: $st" "exit: $VMM_RC" "$(vmm_log sbidle)"
fi

# "boot" mode, which tests/bench/vmm-start.sh times: up, one line, isa-debug-exit.
vmm_start quick -serial stdio -append boot
vmm_wait_exit 20
if [ "$VMM_RC" = 1 ] && grep -q '^# boot: done' "$T_TMP/quick.out" &&
   ! grep -q '^1\.\.' "$T_TMP/quick.out"; then
	t_ok "the guest's 'boot' mode (the start benchmark's) leaves at once with status 1"
else
	t_fail "the guest's 'boot' mode (the start benchmark's) leaves at once with status 1" \
		"status $VMM_RC" "$(vmm_log quick)"
fi

t_done
