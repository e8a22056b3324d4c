#!/bin/bash
# The differential test: the same test guest under vireo-vmm, QEMU with KVM and QEMU
# with TCG prints the same TAP results (plan, ok, not ok lines; the comment lines
# carry details that legitimately differ) and ends with the same status.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir
QEMU=${QEMU:-qemu-system-x86_64}
QBOOT=/usr/share/qemu/qboot.rom
KVM_CHECK="QEMU/KVM (qemu64, qboot) prints the same TAP results and status as vireo-vmm"
TCG_CHECK="QEMU/TCG (qemu64, qboot) prints the same TAP results and status as vireo-vmm"

why=$(vmm_host_problem) && vmm_skip_all "$why" "$KVM_CHECK" "$TCG_CHECK"
command -v "$QEMU" >/dev/null ||
	vmm_skip_all "$QEMU is not installed" "$KVM_CHECK" "$TCG_CHECK"
# With -bios qboot a QEMU run takes ~0.2 s; QEMU's default SeaBIOS would work too (slower).
bios=(); [ -f "$QBOOT" ] && bios=(-bios "$QBOOT")

# run NAME COMMAND...: the serial in $T_TMP/NAME.out, status in $T_TMP/NAME.rc
run() {
	local name=$1; shift
	timeout -k 5 60 "$@" -m 128 -nodefaults -display none -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append test \
		</dev/null >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	echo $? >"$T_TMP/$name.rc"
	vmm_tap_lines <"$T_TMP/$name.out" >"$T_TMP/$name.tap"
}
run vireo "$VMM"
run kvm "$QEMU" -accel kvm -cpu qemu64 -no-user-config "${bios[@]}"
run tcg "$QEMU" -accel tcg -cpu qemu64 -no-user-config "${bios[@]}"

# All three runs in the report, side by side.
report() {
	local r
	for r in vireo kvm tcg; do
		echo "--- $r: status $(cat "$T_TMP/$r.rc"), TAP lines:"
		cat "$T_TMP/$r.tap"
		[ -s "$T_TMP/$r.err" ] && sed 's/^/stderr: /' "$T_TMP/$r.err"
	done
}
compare() {	# CHECK-NAME RUN
	local name=$1 r=$2
	if [ -s "$T_TMP/vireo.tap" ] && grep -q '^1\.\.' "$T_TMP/vireo.tap" &&
		cmp -s "$T_TMP/vireo.tap" "$T_TMP/$r.tap" &&
		[ "$(cat "$T_TMP/vireo.rc")" = "$(cat "$T_TMP/$r.rc")" ]; then
		t_ok "$name"
	else
		t_fail "$name" "$(diff -u --label vireo-vmm --label "qemu-$r" \
			"$T_TMP/vireo.tap" "$T_TMP/$r.tap")" "$(report)"
	fi
}
echo "# exit status: vireo-vmm $(cat "$T_TMP/vireo.rc"), QEMU/KVM $(cat "$T_TMP/kvm.rc"), QEMU/TCG $(cat "$T_TMP/tcg.rc"); TAP lines: $(wc -l <"$T_TMP/vireo.tap"), $(wc -l <"$T_TMP/kvm.tap"), $(wc -l <"$T_TMP/tcg.tap")"
compare "$KVM_CHECK" kvm
compare "$TCG_CHECK" tcg

t_done
