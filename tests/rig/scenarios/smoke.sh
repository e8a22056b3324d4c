# smoke: stock QEMU boots the L2 guest on L1's /dev/kvm (proves the rig itself).
if [ -c /dev/kvm ]; then
	r_ok "L1 has /dev/kvm (kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt) nested=$(cat /sys/module/kvm_amd/parameters/nested))"
else
	r_fail "L1 has /dev/kvm" "$(dmesg | grep -iE 'kvm|svm' | tail -n 10)"
fi
t0=$(r_uptime)
timeout -s KILL 120 qemu-system-x86_64 -accel kvm -cpu host -M pc -bios /usr/share/qemu/qboot.rom \
	-m 256 -smp 1 -display none -vga none -nodefaults -no-reboot \
	-chardev stdio,id=s0,logfile=/tmp/l2.out -serial chardev:s0 \
	-kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" -append 'console=ttyS0 quiet panic=-1' \
	</dev/null 2>/tmp/qemu.err
rc=$?
took=$(r_elapsed "$t0")
marker=$(grep -m1 '^L2-INIT-REACHED' /tmp/l2.out | tr -d '\r')
if [ -n "$marker" ]; then
	r_ok "QEMU -accel kvm boots L2 to its /init"
	r_diag "$marker"
	r_diag "timing l2-boot-qemu=$took (QEMU start to exit)"
else
	r_fail "QEMU -accel kvm boots L2 to its /init" "QEMU status $rc after $took s" \
		"--- L2 console (tail)" "$(r_tail /tmp/l2.out 30)" "--- QEMU stderr" "$(r_tail /tmp/qemu.err)"
fi
if [ $rc = 0 ]; then
	r_ok "QEMU exits 0 when L2 powers off"
else
	r_fail "QEMU exits 0 when L2 powers off" "status $rc (137: killed after 120 s)" \
		"$(r_tail /tmp/qemu.err)"
fi
r_done
