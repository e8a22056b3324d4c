#!/bin/bash
# A vireo-vmm guest's life as QEMU and libvirt see it: power button, host and guest
# resets, -no-reboot, -no-shutdown, -daemonize with -pidfile. Every event checked here
# is the one QEMU 7.2 sends in the same situation.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir

CHECKS=(
	"system_powerdown: POWERDOWN, SHUTDOWN from the guest, the guest powers off, exit 0"
	"system_reset: a RESET event, the guest boots again and is ready again"
	"after a system_reset the guest still powers off on request (exit 0)"
	"a guest-initiated reset reboots the guest (NVRAM survives: two boots, then ready)"
	"a guest-initiated reset sends RESET with guest true, reason guest-reset"
	"-no-reboot: a guest reset ends the worker with SHUTDOWN (guest-reset), exit 0"
	"-no-reboot: no RESET event before that SHUTDOWN (as QEMU)"
	"-no-shutdown: after the guest powers off the worker stays, query-status says shutdown"
	"-no-shutdown: quit then ends the worker with status 0"
	"-daemonize returns 0 once the VM runs; the pid file names the live worker"
	"-daemonize: QMP works on the daemon and the guest runs"
	"-daemonize: quit ends the daemon and removes the pid file"
	"-daemonize: a caller reading the worker's stdout/stderr through a pipe is not held"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

qmp_arg() { echo "unix:$T_TMP/$1.sock,server=on,wait=off"; }
STATUS_RUNNING='return query-status {"running": true, "singlestep": false, "status": "running"}'
STATUS_SHUTDOWN='return query-status {"running": false, "singlestep": false, "status": "shutdown"}'

# ---- the power button ----
vmm_start pd -append idle -serial stdio -qmp "$(qmp_arg pd)"
vmm_wait_line pd "vireo-testguest ready" 1 10
out=$(vmm_qmp pd system_powerdown event:POWERDOWN event:SHUTDOWN closed)
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ] && grep -q '^event POWERDOWN ' <<<"$out" &&
	grep -q '^event SHUTDOWN {"data": {"guest": true, "reason": "guest-shutdown"}' <<<"$out" &&
	vmm_has_lines pd "vireo-testguest powering off" 1; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "status $VMM_RC" "$(vmm_log pd)"
fi

# ---- system_reset ----
vmm_start rs -append idle -serial stdio -qmp "$(qmp_arg rs)"
vmm_wait_line rs "vireo-testguest ready" 1 10
out=$(vmm_qmp rs system_reset event:RESET)
if grep -q '^event RESET {"data": {"guest": false, "reason": "host-qmp-system-reset"}' <<<"$out" &&
	vmm_wait_line rs "vireo-testguest ready" 2 10 &&
	[ "$(vmm_count_lines rs "# boot")" = 2 ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$(vmm_log rs)"
fi
out=$(vmm_qmp rs system_powerdown event:POWERDOWN event:SHUTDOWN closed)
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ] && grep -q '^event SHUTDOWN .*"guest": true' <<<"$out" &&
	vmm_has_lines rs "vireo-testguest powering off" 1; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "status $VMM_RC" "$(vmm_log rs)"
fi

# ---- the guest resets itself ("reset": once, remembered in CMOS NVRAM byte 0x7e) ----
# -S so that the QMP client is there before the guest's reset.
vmm_start gr -S -append "idle reset" -serial stdio -qmp "$(qmp_arg gr)"
out=$(vmm_qmp gr cont event:RESET)
vmm_wait_line gr "vireo-testguest ready" 1 10
if [ "$(vmm_count_lines gr "# boot")" = 2 ] && vmm_has_lines gr "# reset: second boot, going on" 1 &&
	vmm_has_lines gr "vireo-testguest ready" 1; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$(vmm_log gr)"
fi
if grep -q '^event RESET {"data": {"guest": true, "reason": "guest-reset"}' <<<"$out"; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$(vmm_log gr)"
fi
vmm_qmp gr system_powerdown event:SHUTDOWN closed >/dev/null
vmm_wait_exit 10

vmm_start nr -S -no-reboot -append "idle reset" -serial stdio -qmp "$(qmp_arg nr)"
out=$(vmm_qmp nr cont event:SHUTDOWN closed)
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ] &&
	grep -q '^event SHUTDOWN {"data": {"guest": true, "reason": "guest-reset"}' <<<"$out" &&
	[ "$(vmm_count_lines nr "# boot")" = 1 ] && vmm_has_lines nr "# reset: resetting once" 1; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "status $VMM_RC" "$(vmm_log nr)"
fi
# libvirt turns a RESET event into a reboot event for its clients: QEMU sends none here.
if grep -q '^event SHUTDOWN ' <<<"$out" && ! grep -q '^event RESET ' <<<"$out"; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "command: vireo-vmm -S -no-reboot ... -append 'idle reset', QMP cont" \
		"expected: RESUME, then only SHUTDOWN {guest: true, reason: guest-reset}" "$out"
fi

# ---- -no-shutdown ----
vmm_start ns -no-shutdown -append idle -serial stdio -qmp "$(qmp_arg ns)"
vmm_wait_line ns "vireo-testguest ready" 1 10
out=$(vmm_qmp ns system_powerdown event:SHUTDOWN sleep:1 query-status)
if grep -q '^event SHUTDOWN {"data": {"guest": true' <<<"$out" && grep -qxF "$STATUS_SHUTDOWN" <<<"$out" &&
	kill -0 "$VMM_TPID" 2>/dev/null && vmm_has_lines ns "vireo-testguest powering off" 1; then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "$(vmm_log ns)"
fi
out=$(vmm_qmp ns quit closed)
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ]; then
	t_ok "${CHECKS[8]}"
else
	t_fail "${CHECKS[8]}" "status $VMM_RC" "$(vmm_log ns)"
fi

# ---- -daemonize -pidfile ----
# The daemon leaves `timeout`, so a watchdog of our own bounds it.
daemon_pid() { cat "$T_TMP/$1.pid" 2>/dev/null; }
is_worker() {	# PID: a live vireo-vmm
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
		[ "$(readlink -f "/proc/$1/exe")" = "$(readlink -f "$VMM")" ]
}
watchdog() {	# PID: killed if still there in 60 s; the watchdog ends with it
	( timeout 60 tail --pid="$1" -f /dev/null || { is_worker "$1" && kill -9 "$1"; } ) \
		>/dev/null 2>&1 &
	t_track_pid $!
	W_PIDS="$W_PIDS $!"
	disown $!
}
start_daemon() {	# NAME: the command's output in NAME.cmd, status in D_RC
	timeout -k 5 20 "$VMM" -m 128 -nodefaults -display none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append idle \
		-chardev file,id=ser0,path="$T_TMP/$1.out" -serial chardev:ser0 \
		-qmp "$(qmp_arg "$1")" -daemonize -pidfile "$T_TMP/$1.pid" \
		</dev/null >"$T_TMP/$1.cmd" 2>&1
	D_RC=$?
	D_PID=$(daemon_pid "$1")
	if is_worker "$D_PID"; then t_track_pid "$D_PID"; watchdog "$D_PID"; fi
}

start_daemon d
if [ "$D_RC" = 0 ] && is_worker "$D_PID"; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "status $D_RC, pid file '$D_PID'" "$(cat "$T_TMP/d.cmd")" "$(vmm_log d)"
fi
out=$(vmm_qmp d query-status)
if grep -qxF "$STATUS_RUNNING" <<<"$out" && vmm_wait_line d "vireo-testguest ready" 1 10; then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "$(vmm_log d)"
fi
out=$(vmm_qmp d quit closed)
if t_wait_for 10 eval '! is_worker "$D_PID"' && [ ! -e "$T_TMP/d.pid" ]; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "pid $D_PID alive: $(is_worker "$D_PID" && echo yes || echo no)" \
		"pid file: $(ls -l "$T_TMP/d.pid" 2>&1)" "$(vmm_log d)"
fi

# QEMU points stdin, stdout and stderr at /dev/null once the VM runs (stderr stays only
# with -D), so `out=$(qemu -daemonize ... 2>&1)` returns as soon as the VM is up.
(
	"$VMM" -m 128 -nodefaults -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$GUEST" -append idle -qmp "$(qmp_arg dp)" -daemonize \
		-pidfile "$T_TMP/dp.pid" </dev/null 2>&1 | cat >"$T_TMP/dp.cmd"
) &
cpid=$!
t_track_pid $cpid
t_wait_for 10 test -s "$T_TMP/dp.pid"
dp=$(daemon_pid dp)
is_worker "$dp" && { t_track_pid "$dp"; watchdog "$dp"; }
if t_wait_for 3 eval '! kill -0 $cpid'; then
	t_ok "${CHECKS[12]}"
else
	t_fail "${CHECKS[12]}" \
		"command: vireo-vmm ... -daemonize -pidfile F 2>&1 | cat   (still waiting 3 s after start)" \
		"worker $dp fds: $(ls -l "/proc/$dp/fd" 2>&1 | awk '$9 ~ /^[012]$/ {print $9, $10, $11}' | tr '\n' ';')"
fi
vmm_qmp dp quit closed >/dev/null
t_wait_for 10 eval '! is_worker "$dp"'
for w in $W_PIDS; do t_wait_for 3 eval "! kill -0 $w"; done

t_done
