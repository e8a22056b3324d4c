#!/bin/bash
# The test guest's "smp" mode: the BSP starts every AP with INIT-SIPI-SIPI, each AP
# reaches CPL3, counts itself in and reports its APIC id. Under vireo-vmm (-smp 1, 2, 4)
# and under QEMU (KVM and TCG, -smp 2, qboot); "smp-crash" checks that an exception on
# an AP is reported like one on the BSP (status 5) instead of resetting the machine.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir
QEMU=${QEMU:-qemu-system-x86_64}
QBOOT=/usr/share/qemu/qboot.rom

V1="vireo-vmm -smp 1: smp mode finds one CPU, skips the AP checks, status 1"
V2="vireo-vmm -smp 2: the AP reaches CPL3, counts in, reports APIC id 1"
V4="vireo-vmm -smp 4: three APs reach CPL3, count in, report APIC ids 1-3"
VC="vireo-vmm -smp 2: ud2 on the AP is reported as exception 6 at CPL3, status 5"
K2="QEMU/KVM -smp 2: the AP reaches CPL3, counts in, reports APIC id 1"
KC="QEMU/KVM -smp 2: ud2 on the AP is reported as exception 6 at CPL3, status 5"
T2="QEMU/TCG -smp 2: the AP reaches CPL3, counts in, reports APIC id 1"

why=$(vmm_host_problem) && vmm_skip_all "$why" "$V1" "$V2" "$V4" "$VC" "$K2" "$KC" "$T2"
bios=(); [ -f "$QBOOT" ] && bios=(-bios "$QBOOT")

# run NAME APPEND COMMAND...: serial in $T_TMP/NAME.out, stderr in NAME.err, status in NAME.rc
run() {
	local name=$1 append=$2; shift 2
	timeout -k 5 60 "$@" -m 128 -nodefaults -display none -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "$append" \
		</dev/null >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	echo $? >"$T_TMP/$name.rc"
}

# check_smp CHECK NAME APS: status 1, the plan passed, every AP 1..APS counted in once
# with the APIC id the MADT gave it (vireo-vmm and QEMU number them 0..n-1).
check_smp() {
	local check=$1 name=$2 aps=$3 out=$T_TMP/$2.out rc want got i
	rc=$(cat "$T_TMP/$name.rc")
	if [ "$aps" -eq 0 ]; then
		want=$(printf '%s\n' '1..3' 'ok 1 - smp: CPUs listed (MADT, or CPUID without one), APs started' \
			'ok 2 - smp: every AP reaches CPL3 through INIT-SIPI-SIPI # SKIP one CPU only' \
			'ok 3 - smp: every AP counts itself in and reports its APIC id at CPL3 # SKIP one CPU only')
	else
		want=$(printf '%s\n' '1..3' 'ok 1 - smp: CPUs listed (MADT, or CPUID without one), APs started' \
			'ok 2 - smp: every AP reaches CPL3 through INIT-SIPI-SIPI' \
			'ok 3 - smp: every AP counts itself in and reports its APIC id at CPL3')
	fi
	got=$(vmm_tap_lines <"$out")
	local bad=""
	[ "$rc" = 1 ] || bad="status $rc, expected 1"
	[ "$got" = "$want" ] || bad="$bad; TAP lines differ"
	grep -qx "# smp: $((aps + 1)) cpus (madt), bsp apic 0, local apic 0xfee00000" "$out" ||
		bad="$bad; no '# smp: $((aps + 1)) cpus (madt)' line"
	grep -q "^# smp: $aps of $aps APs started in " "$out" || bad="$bad; not all $aps APs started"
	for ((i = 1; i <= aps; i++)); do
		[ "$(grep -c "^# smp cpu $i: apic $i reported $i (arrival [1-9]" "$out")" = 1 ] ||
			bad="$bad; cpu $i did not report APIC id $i"
	done
	if [ -z "$bad" ]; then
		t_ok "$check"
		grep '^# smp' "$out" | grep -e 'after the SIPI' -e 'APs started' | sed "s/^/# $name: /"
	else
		t_fail "$check" "${bad#; }" "--- expected TAP:" "$want" "--- serial:" "$(cat "$out")" \
			"--- stderr:" "$(cat "$T_TMP/$name.err")"
	fi
}

# check_crash CHECK NAME: status 5 and the exception report of the AP's ud2 at CPL3
check_crash() {
	local check=$1 name=$2 rc
	rc=$(cat "$T_TMP/$name.rc")
	if [ "$rc" = 5 ] && grep -q '^not ok - exception 6 at 0x[0-9a-f]* # cpl 3,' "$T_TMP/$name.out" &&
		[ "$(grep -c '^# boot$' "$T_TMP/$name.out")" = 1 ]; then
		t_ok "$check"
	else
		t_fail "$check" "status $rc, expected 5 with one '# boot' and 'exception 6 ... cpl 3'" \
			"--- serial:" "$(cat "$T_TMP/$name.out")" "--- stderr:" "$(cat "$T_TMP/$name.err")"
	fi
}

run v1 smp "$VMM" -smp 1
check_smp "$V1" v1 0
run v2 smp "$VMM" -smp 2
check_smp "$V2" v2 1
run v4 smp "$VMM" -smp 4
check_smp "$V4" v4 3
run vc smp-crash "$VMM" -smp 2
check_crash "$VC" vc

if ! command -v "$QEMU" >/dev/null; then
	for c in "$K2" "$KC" "$T2"; do t_skip "$c" "$QEMU is not installed"; done
	t_done
	exit
fi
run k2 smp "$QEMU" -accel kvm -cpu qemu64 -smp 2 -no-user-config "${bios[@]}"
check_smp "$K2" k2 1
run kc smp-crash "$QEMU" -accel kvm -cpu qemu64 -smp 2 -no-user-config "${bios[@]}"
check_crash "$KC" kc
run t2 smp "$QEMU" -accel tcg -cpu qemu64 -smp 2 -no-user-config "${bios[@]}"
check_smp "$T2" t2 1

t_done
