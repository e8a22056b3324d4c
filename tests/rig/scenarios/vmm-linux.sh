# vmm-linux: vireo-vmm boots the L2 Linux kernel + initramfs to its /init, the guest's
# poweroff (ACPI S5) ends the worker with status 0, and a QMP client sees SHUTDOWN
# (guest: true, reason guest-shutdown). If the guest does not get there, it is booted
# once more with early printk on, so the log shows how far the kernel got.
#   rig.l2append=WORDS   (on L1's command line) more L2 kernel parameters, '+' for space
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first (make -C build); tests/rig/build copies it in"
	r_done
	exit 0
fi
extra=$(for w in $(cat /proc/cmdline); do case $w in rig.l2append=*) echo "${w#*=}" | tr + ' ' ;; esac; done)
limit=90

# boot NAME LIMIT APPEND: run the worker as the brief's command line says; serial to the
# console and /tmp/NAME.out, stderr to /tmp/NAME.err, status to /tmp/NAME.rc, QMP
# transcript to /tmp/NAME.qmp (rig-qmp's status in /tmp/NAME.qrc). Sets took.
boot() {
	local name=$1 limit=$2 append=$3 t0 pipe qmp
	rm -f /tmp/q "/tmp/$name".*
	echo "RIG-L1: vireo-vmm -append '$append'"
	t0=$(r_uptime)
	( timeout -s KILL $limit "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
		-append "$append" -serial stdio -nodefaults -display none -m 256 \
		-qmp unix:/tmp/q,server=on,wait=off </dev/null 2>"/tmp/$name.err"
	  echo $? >"/tmp/$name.rc" ) | tee "/tmp/$name.out" &
	pipe=$!
	( rig-qmp -t $((limit + 5)) -e SHUTDOWN /tmp/q >"/tmp/$name.qmp" 2>&1
	  echo $? >"/tmp/$name.qrc" ) &
	qmp=$!
	wait $pipe
	took=$(r_elapsed "$t0")
	# The client has seen the event by now or never will (the worker is gone).
	r_wait_for 3 test -e "/tmp/$name.qrc" || kill $qmp 2>/dev/null
	wait $qmp 2>/dev/null
}

# What a failure shows: status, serial tail, stderr, QMP transcript.
report() {
	local name=$1
	echo "[$name] vireo-vmm status $(cat "/tmp/$name.rc" 2>/dev/null) after $took s (137: killed by its time limit)"
	echo "[$name] --- serial console (last 40 lines)"
	r_tail "/tmp/$name.out" 40 | tr -d '\r'
	echo "[$name] --- worker stderr"
	r_tail "/tmp/$name.err"
	echo "[$name] --- QMP (rig-qmp status $(cat "/tmp/$name.qrc" 2>/dev/null))"
	r_tail "/tmp/$name.qmp"
}

boot run $limit "console=ttyS0 quiet panic=-1 $extra"
rc=$(cat /tmp/run.rc 2>/dev/null)
marker=$(grep -m1 '^L2-INIT-REACHED' /tmp/run.out | tr -d '\r')
shutdown=$(grep -m1 '"SHUTDOWN"' /tmp/run.qmp)
debug=
if [ -z "$marker" ] || [ "$rc" != 0 ]; then
	took0=$took
	boot debug 60 "earlyprintk=serial,ttyS0,115200 console=ttyS0 loglevel=8 panic=-1 $extra"
	debug=$(report debug)
	took=$took0
fi

if [ -n "$marker" ]; then
	r_ok "vireo-vmm boots the L2 kernel to its /init"
	r_diag "$marker"
	r_diag "timing l2-boot-vireo-vmm=$took (worker start to exit)"
else
	r_fail "vireo-vmm boots the L2 kernel to its /init" "$(report run)" "$debug"
fi
if [ "$rc" = 0 ]; then
	r_ok "the guest's poweroff ends the worker with status 0"
else
	r_fail "the guest's poweroff ends the worker with status 0" "$(report run)" "$debug"
fi
if [ "$(cat /tmp/run.qrc 2>/dev/null)" = 0 ] && echo "$shutdown" | grep -q '"guest": *true' &&
	echo "$shutdown" | grep -q '"reason": *"guest-shutdown"'; then
	r_ok "QMP reports SHUTDOWN (guest: true, reason: guest-shutdown)"
	r_diag "$shutdown"
else
	r_fail "QMP reports SHUTDOWN (guest: true, reason: guest-shutdown)" "$(report run)"
fi
r_done
