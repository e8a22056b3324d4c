# virtio-linux: under vireo-vmm, a stock Linux guest finds its PCI devices through the
# ACPI host bridge, gets a virtio-blk disk (/dev/vda), writes a pattern through it and
# reads it back from the device (so MSI-X interrupts and kicks work), writes a line to
# its virtio console (hvc0) that reaches the worker's chardev, then powers off.
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first (make -C build); tests/rig/build copies it in"
	r_done
	exit 0
fi
dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null
rm -f /tmp/con.out
( timeout -s KILL 90 "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
	-append "console=ttyS0 quiet panic=-1" -serial stdio -nodefaults -display none -m 256 \
	-drive file=/tmp/disk.img,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,serial=RIG1 \
	-device virtio-serial-pci -device virtconsole,chardev=c0 \
	-chardev file,id=c0,path=/tmp/con.out </dev/null 2>/tmp/vl.err
  echo $? >/tmp/vl.rc ) | tee /tmp/vl.out
rc=$(cat /tmp/vl.rc 2>/dev/null)
vda=$(grep -m1 '^L2-VDA' /tmp/vl.out | tr -d '\r')
case "$vda" in
"L2-VDA ok size=32768 sectors") r_ok "virtio-blk: /dev/vda has the image's 32768 sectors; a pattern written reads back" ;;
*) r_fail "virtio-blk: /dev/vda has the image's 32768 sectors; a pattern written reads back" \
	"got: ${vda:-no L2-VDA line}" "$(r_tail /tmp/vl.out 30)" "$(r_tail /tmp/vl.err)" ;;
esac
if grep -q 'L2-HVC0 hello from hvc0' /tmp/con.out 2>/dev/null; then
	r_ok "virtio-console: a line written to hvc0 reaches the worker's chardev"
else
	r_fail "virtio-console: a line written to hvc0 reaches the worker's chardev" \
		"con.out: $(cat /tmp/con.out 2>/dev/null)" "$(grep -E 'L2-HVC0' /tmp/vl.out)"
fi
if [ "$rc" = 0 ]; then
	r_ok "the guest powers off and the worker exits 0"
else
	r_fail "the guest powers off and the worker exits 0" "status $rc" "$(r_tail /tmp/vl.err)"
fi
r_done
