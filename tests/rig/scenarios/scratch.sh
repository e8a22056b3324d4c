for A in "" "nopv"; do
rm -f /tmp/q
echo "=== variant [$A]"
( timeout -s KILL 240 vireo-vmm -m 256 -display none -nodefaults -serial stdio -qmp unix:/tmp/q,server=on,wait=off \
	-kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" -append "console=ttyS0 quiet panic=-1 rdinit=/nope $A" </dev/null 2>&1; echo "vmm rc $?" ) | ts -s '%.s' >/tmp/s.out &
p=$!
rig-qmp -t 245 -e NOPE /tmp/q | ts -s '%.s' > /tmp/e.out &
wait $p
cat /tmp/s.out
grep RESET /tmp/e.out | awk -v a="$A" '{ t=$1; if (n) { g=t-prev; if (g>max) max=g }; prev=t; n++ } END { print "RIG: # variant [" a "]: " n " resets, max gap " max }' | tee /dev/ttyS1
done
r_done
