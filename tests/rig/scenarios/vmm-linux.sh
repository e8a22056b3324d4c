# vmm-linux: vireo-vmm boots the L2 Linux kernel + initramfs to /init, and the guest's
# poweroff (ACPI S5) ends the worker with status 0 and a QMP SHUTDOWN event.
# rig.l2append=... on L1's command line is appended to L2's (e.g. earlyprintk=serial).
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first: make -C build (tests/rig/build copies it)"
	r_done
	exit 0
fi
extra=$(for w in $(cat /proc/cmdline); do case $w in rig.l2append=*) echo "${w#*=}" | tr , ' ' ;; esac; done)
append="console=ttyS0 panic=-1 $extra"
limit=90
rm -f /tmp/q
t0=$(r_uptime)
# The worker's serial goes to the console as it comes (and to /tmp/vmm.out).
( timeout -s KILL $limit "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
	-append "$append" -serial stdio -nodefaults -display none -m 256 \
	-qmp unix:/tmp/q,server=on,wait=off </dev/null 2>/tmp/vmm.err
  echo $? >/tmp/vmm.rc ) | tee /tmp/vmm.out &
pipe=$!
rig-qmp -t $((limit + 5)) -e SHUTDOWN /tmp/q >/tmp/qmp.out 2>/tmp/qmp.err &
qmp=$!
wait $pipe
took=$(r_elapsed "$t0")
rc=$(cat /tmp/vmm.rc 2>/dev/null)
# The QMP client has seen the event by now, or never will: give it a moment.
r_wait_for 3 eval '! kill -0 $qmp'
kill $qmp 2>/dev/null
wait $qmp
qrc=$?
log() {
	echo "vireo-vmm status ${rc:-?} after $took s (137: killed after $limit s)"
	echo "--- serial (tail)"; r_tail /tmp/vmm.out 40
	echo "--- stderr"; r_tail /tmp/vmm.err
	echo "--- QMP"; cat /tmp/qmp.out /tmp/qmp.err 2>/dev/null
}
marker=$(grep -m1 '^L2-INIT-REACHED' /tmp/vmm.out | tr -d '\r')
if [ -n "$marker" ]; then
	r_ok "vireo-vmm boots the L2 kernel to its /init"
	r_diag "$marker"
	r_diag "timing l2-boot-vireo-vmm=$took (worker start to exit)"
else
	r_fail "vireo-vmm boots the L2 kernel to its /init" "$(log)"
fi
if [ "$rc" = 0 ]; then
	r_ok "the guest's poweroff ends the worker with status 0"
else
	r_fail "the guest's poweroff ends the worker with status 0" "$(log)"
fi
if [ $qrc = 0 ] && grep -q '"SHUTDOWN"' /tmp/qmp.out && grep '"SHUTDOWN"' /tmp/qmp.out | grep -q '"guest": *true'; then
	r_ok "QMP reports SHUTDOWN with guest: true"
else
	r_fail "QMP reports SHUTDOWN with guest: true" "rig-qmp status $qrc" "$(log)"
fi
r_done
