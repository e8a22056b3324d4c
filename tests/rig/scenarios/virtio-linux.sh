# virtio-linux: under vireo-vmm, a stock Linux guest finds its PCI devices through the
# ACPI host bridge, gets a virtio-blk disk (/dev/vda), writes a pattern through it and
# reads it back from the device (so MSI-X interrupts and kicks work), writes a line to
# its virtio console (hvc0) that reaches the worker's pty chardev, runs a login-less
# shell on hvc0 that answers a command typed on the host side of the pty, shows through
# that shell that virtio-blk's MSI-X vector counts up in /proc/interrupts while the
# worker delivers every vector through a KVM irqfd, reboots (and comes back with disk
# and console) and powers off when told to.
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first (make -C build); tests/rig/build copies it in"
	r_done
	exit 0
fi
dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null
rm -f /tmp/con.out /tmp/vl.rc /tmp/vl.err
( VIREO_LOG=debug timeout -s KILL 170 "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
	-append "console=ttyS0 quiet panic=-1 rig.hvcshell=1 rig.l2exit=none" \
	-serial stdio -nodefaults -display none -m 256 \
	-drive file=/tmp/disk.img,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,serial=RIG1 \
	-device virtio-serial-pci -device virtconsole,chardev=c0 \
	-chardev pty,id=c0 </dev/null 2>/tmp/vl.err
  echo $? >/tmp/vl.rc ) | tee /tmp/vl.out &
# The host side of the console: the pty the worker announces (as QEMU does) on stderr.
r_pty_console /tmp/vl.err /tmp/con.out
pty=$R_PTY reader=$R_READER
r_wait_for 80 grep -q 'L2-HVC0 shell started' /tmp/vl.out
vda=$(grep -m1 '^L2-VDA' /tmp/vl.out | tr -d '\r')
case "$vda" in
"L2-VDA ok size=32768 sectors") r_ok "virtio-blk: /dev/vda has the image's 32768 sectors; a pattern written reads back" ;;
*) r_fail "virtio-blk: /dev/vda has the image's 32768 sectors; a pattern written reads back" \
	"got: ${vda:-no L2-VDA line}" "$(r_tail /tmp/vl.out 30)" "$(r_tail /tmp/vl.err)" ;;
esac
if r_wait_for 5 grep -q 'L2-HVC0 hello from hvc0' /tmp/con.out; then
	r_ok "virtio-console: a line written to hvc0 reaches the worker's pty chardev"
else
	r_fail "virtio-console: a line written to hvc0 reaches the worker's pty chardev" \
		"pty: ${pty:-none announced}" "con.out: $(cat /tmp/con.out 2>/dev/null)" \
		"$(grep -E 'L2-HVC0' /tmp/vl.out)" "$(r_tail /tmp/vl.err)"
fi
# The guest's shell computes the answer, so an echo of the input alone cannot pass.
[ -n "$pty" ] && printf 'echo HVC-ECHO-$((6*7))\n' >"$pty"
if [ -n "$pty" ] && r_wait_for 15 grep -q 'HVC-ECHO-42' /tmp/con.out; then
	r_ok "virtio-console: a shell on hvc0 runs a command typed on the host and answers"
else
	r_fail "virtio-console: a shell on hvc0 runs a command typed on the host and answers" \
		"pty: ${pty:-none}" "con.out: $(cat /tmp/con.out 2>/dev/null)" \
		"$(grep -E 'L2-HVC0' /tmp/vl.out)"
fi
# MSI-X for real: reads from /dev/vda raise the count of virtio-blk's request vector in
# L2's /proc/interrupts, and the worker routed its vectors through KVM irqfds (its debug
# log names each one; no fallback to KVM_SIGNAL_MSI was logged).
[ -n "$pty" ] && printf '%s\n' 'echo IRQ$((1+1))-A; grep virtio /proc/interrupts;
echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4096 count=512 2>/dev/null;
echo IRQ$((1+1))-B; grep virtio /proc/interrupts; echo IRQ$((1+1))-C' >"$pty"
# The summed per-CPU counts of the MSI-X "virtioN-req.0" line after marker $1.
req_irqs() {
	tr -d '\r' </tmp/con.out | awk -v m="$1" '$0 == m { on = 1; next }
		on && /^IRQ2-/ { exit } on && /MSI/ && /virtio[0-9]*-req/ {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; found = 1 }
		END { print found ? n : "none" }'
}
if [ -n "$pty" ] && r_wait_for 15 grep -q '^IRQ2-C' /tmp/con.out; then
	before=$(req_irqs IRQ2-A) after=$(req_irqs IRQ2-B)
	routed=$(grep -c 'irqfd [0-9]* on GSI' /tmp/vl.err)
	if [ "$before" != none ] && [ "$after" != none ] && [ "$after" -gt "$before" ] &&
		[ "$routed" -gt 0 ] && ! grep -q KVM_SIGNAL_MSI /tmp/vl.err; then
		r_ok "virtio interrupts arrive as MSI-X through KVM irqfds"
		r_diag "virtio-blk req vector: $before -> $after interrupts; $routed irqfds routed"
		tr -d '\r' </tmp/con.out | sed -n '/^IRQ2-B/,/^IRQ2-C/p' | grep MSI |
			while IFS= read -r l; do r_diag "L2 /proc/interrupts:$l"; done
	else
		r_fail "virtio interrupts arrive as MSI-X through KVM irqfds" \
			"req vector interrupts: $before -> $after; irqfds routed: $routed" \
			"$(tr -d '\r' </tmp/con.out | sed -n '/^IRQ2-A/,/^IRQ2-C/p')" \
			"$(grep -E 'irqfd|KVM_SIGNAL_MSI' /tmp/vl.err)"
	fi
else
	r_fail "virtio interrupts arrive as MSI-X through KVM irqfds" "pty: ${pty:-none}" \
		"con.out: $(r_tail /tmp/con.out 20)"
fi
# A reboot: the worker resets the machine (vCPUs, devices, PCI config back to power-on,
# the kernel loaded again) and the second boot finds the disk and the console again,
# with the interrupts the reset took away set up anew by the guest.
if [ -n "$pty" ]; then
	printf 'reboot -f\n' >"$pty"
	booted_twice() { [ "$(r_complete /tmp/vl.out | grep -c '^L2-HVC0 shell started')" -ge 2 ]; }
	if r_wait_for 60 booted_twice; then
		vda2=$(r_complete /tmp/vl.out | grep '^L2-VDA' | sed -n 2p | tr -d '\r')
		printf 'echo AFTER-REBOOT-$((6*7))\n' >"$pty"
		if [ "$vda2" = "L2-VDA ok size=32768 sectors" ] &&
			r_wait_for 15 grep -q 'AFTER-REBOOT-42' /tmp/con.out; then
			r_ok "reboot: the guest comes back with /dev/vda (pattern reads back) and its hvc0 shell answers"
		else
			r_fail "reboot: the guest comes back with /dev/vda (pattern reads back) and its hvc0 shell answers" \
				"second L2-VDA: ${vda2:-none}" "con.out: $(r_tail /tmp/con.out 10)" "$(r_tail /tmp/vl.err)"
		fi
	else
		r_fail "reboot: the guest comes back with /dev/vda (pattern reads back) and its hvc0 shell answers" \
			"no second boot" "$(r_tail /tmp/vl.out 20)" "$(r_tail /tmp/vl.err)"
	fi
fi
[ -n "$pty" ] && printf 'poweroff -f\n' >"$pty"
r_wait_for 30 test -s /tmp/vl.rc
rc=$(cat /tmp/vl.rc 2>/dev/null)
[ -n "$reader" ] && kill "$reader" 2>/dev/null
if [ "$rc" = 0 ]; then
	r_ok "the guest powers off (told through the hvc0 shell) and the worker exits 0"
else
	r_fail "the guest powers off (told through the hvc0 shell) and the worker exits 0" \
		"status ${rc:-none (still running)}" "$(r_tail /tmp/vl.err)"
fi
r_done
