A='console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 panic=-1'
echo "=== vmm"
timeout -s KILL 120 vireo-vmm -m 256 -display none -nodefaults -serial stdio \
	-kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" -append "$A" </dev/null 2>&1 | ts -s '%.s' > /tmp/v.out
grep -E 'Linux version|Freeing SMP|Run /init|L2-INIT|Power down|AGP|Console|printk: console|e820|RAMDISK|Unpacking|Trying to unpack|Freeing initrd' /tmp/v.out
echo "=== qemu"
timeout -s KILL 120 qemu-system-x86_64 -accel kvm -cpu host -M pc -bios /usr/share/qemu/qboot.rom \
	-m 256 -smp 1 -display none -vga none -nodefaults -no-reboot -serial stdio \
	-kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" -append "$A" </dev/null 2>&1 | ts -s '%.s' > /tmp/q.out
grep -E 'Linux version|Freeing SMP|Run /init|L2-INIT|Power down|AGP|Console|printk: console|e820|RAMDISK|Unpacking|Trying to unpack|Freeing initrd' /tmp/q.out
r_done
