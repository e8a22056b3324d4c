# balloon-linux: under vireo-vmm, a stock Linux guest (512 MiB) binds virtio_balloon;
# QMP `balloon` to 256 MiB makes it inflate: query-balloon reaches 256 MiB and the
# guest's MemTotal drops by the ballooned 256 MiB; back to 512 MiB, both come back; with
# a stats polling interval the guest's own stats reach qom-get guest-stats. MemTotal is
# read through a shell on hvc0 (the virtio console on a pty). No deflate-on-oom: with it
# Linux leaves MemTotal alone.
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first (make -C build); tests/rig/build copies it in"
	r_done
	exit 0
fi
MIB=1048576
PATH_B=/machine/peripheral/balloon0
rm -f /tmp/q /tmp/con.out /tmp/bl.rc /tmp/bl.err /tmp/bl.qmp
( timeout -s KILL 150 "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
	-append "console=ttyS0 quiet panic=-1 rig.hvcshell=1 rig.l2exit=none" \
	-serial stdio -nodefaults -display none -m 512 \
	-qmp unix:/tmp/q,server=on,wait=off -device virtio-balloon-pci,id=balloon0 \
	-device virtio-serial-pci -device virtconsole,chardev=c0 -chardev pty,id=c0 \
	</dev/null 2>/tmp/bl.err
  echo $? >/tmp/bl.rc ) | tee /tmp/bl.out &
r_pty_console /tmp/bl.err /tmp/con.out
pty=$R_PTY reader=$R_READER

# qmp COMMAND-JSON...: run them, the transcript appended to /tmp/bl.qmp, replies on stdout.
qmp() {
	rig-qmp -t 20 /tmp/q "$@" | tee -a /tmp/bl.qmp
}
# The balloon's actual size in bytes (query-balloon), or nothing.
actual() {
	qmp '{"execute":"query-balloon"}' | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p' | tail -n 1
}
# wait_actual BYTES SECS: until query-balloon says BYTES.
wait_actual() {
	local n=$2
	while [ "$n" -gt 0 ]; do
		[ "$(actual)" = "$1" ] && return 0
		sleep 1
		n=$((n - 1))
	done
	return 1
}
# memtotal: MT = MemTotal (kB) as the guest's shell reads it, or empty. Each query has
# its own tag (so a late answer to an earlier one cannot match), and the answer is
# computed in the guest, so the terminal's echo of the command cannot match either.
k=0
memtotal() {
	k=$((k + 1))
	printf 'echo MT%s-$(awk "/^MemTotal/ {print \\$2}" /proc/meminfo)-END\n' "$k" >"$pty"
	MT=
	r_wait_for 15 grep -q "MT$k-[0-9][0-9]*-END" /tmp/con.out &&
		MT=$(sed -n "s/.*MT$k-\([0-9][0-9]*\)-END.*/\1/p" /tmp/con.out | tail -n 1)
}

if [ -z "$pty" ] || ! r_wait_for 100 grep -q 'L2-HVC0 shell started' /tmp/bl.out; then
	r_fail "Linux boots with virtio-balloon and a shell on hvc0" "pty: ${pty:-none}" \
		"$(r_tail /tmp/bl.out 30)" "$(r_tail /tmp/bl.err)"
	[ -n "$reader" ] && kill "$reader" 2>/dev/null
	r_done
	exit 0
fi
memtotal; m0=$MT
t0=$(r_uptime)
qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((256 * MIB))}}" >/dev/null
if wait_actual $((256 * MIB)) 60; then
	r_diag "timing inflate-256MiB=$(r_elapsed "$t0")"
	memtotal; m1=$MT
	if [ -n "$m0" ] && [ -n "$m1" ] && [ $((m0 - m1)) -ge 261120 ] && [ $((m0 - m1)) -le 263168 ]; then
		r_ok "balloon to 256 MiB: query-balloon says 256 MiB, MemTotal drops by 256 MiB"
	else
		r_fail "balloon to 256 MiB: query-balloon says 256 MiB, MemTotal drops by 256 MiB" \
			"MemTotal ${m0:-?} kB -> ${m1:-?} kB (want a drop of 262144 kB)"
	fi
else
	r_fail "balloon to 256 MiB: query-balloon says 256 MiB, MemTotal drops by 256 MiB" \
		"query-balloon: $(actual)" "$(r_tail /tmp/bl.qmp)" "$(r_tail /tmp/bl.err)"
fi
t0=$(r_uptime)
qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((512 * MIB))}}" >/dev/null
if wait_actual $((512 * MIB)) 60; then
	r_diag "timing deflate-256MiB=$(r_elapsed "$t0")"
	memtotal; m2=$MT
	if [ -n "$m2" ] && [ "$m2" = "$m0" ]; then
		r_ok "back to 512 MiB: query-balloon and MemTotal return"
	else
		r_fail "back to 512 MiB: query-balloon and MemTotal return" \
			"MemTotal ${m0:-?} kB at start, ${m2:-?} kB now"
	fi
else
	r_fail "back to 512 MiB: query-balloon and MemTotal return" "query-balloon: $(actual)" \
		"$(r_tail /tmp/bl.qmp)"
fi
# The guest's stats: Linux fills stat-total-memory (its MemTotal, in bytes).
qmp "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"$PATH_B\",\"property\":\"guest-stats-polling-interval\",\"value\":1}}" >/dev/null
sleep 3
stats=$(qmp "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"$PATH_B\",\"property\":\"guest-stats\"}}" | grep '"stats"')
total=$(echo "$stats" | sed -n 's/.*"stat-total-memory": *\([0-9]*\).*/\1/p')
if [ -n "$total" ] && [ -n "$m2" ] && [ "$total" = $((m2 * 1024)) ]; then
	r_ok "guest-stats: Linux's stat-total-memory equals its MemTotal"
else
	r_fail "guest-stats: Linux's stat-total-memory equals its MemTotal" \
		"MemTotal ${m2:-?} kB; guest-stats: ${stats:-none}"
fi
printf 'poweroff -f\n' >"$pty"
r_wait_for 30 test -s /tmp/bl.rc
rc=$(cat /tmp/bl.rc 2>/dev/null)
[ -n "$reader" ] && kill "$reader" 2>/dev/null
if [ "$rc" = 0 ]; then
	r_ok "the guest powers off and the worker exits 0"
else
	r_fail "the guest powers off and the worker exits 0" "status ${rc:-none (still running)}" \
		"$(r_tail /tmp/bl.err)"
fi
r_done
