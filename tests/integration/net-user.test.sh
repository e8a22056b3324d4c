#!/bin/bash
# User-mode networking (-netdev user, libslirp inside the worker, no privileges): the test
# guest's "slirp" mode on net=192.0.2.0/24 ARPs for the gateway 192.0.2.2 and pings it and
# the built-in DNS 192.0.2.3 (slirp answers both itself); with udp-echo it echoes UDP port
# 7, which hostfwd=udp:127.0.0.1:PORT-:7 makes reachable from the host. Bad -netdev user
# options are errors naming them. The same TAP results under QEMU's -netdev user, and a
# vireod domain with <interface type='user'> (and <ip address='192.0.2.0' prefix='24'/>)
# starts without any host resource and its guest reaches the gateway. Nothing here needs
# root beyond /dev/kvm; no address outside the documentation ranges is used.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
QEMU=${QEMU:-qemu-system-x86_64}
QBOOT=/usr/share/qemu/qboot.rom
NET="net=192.0.2.0/24"
RUN_TIMEOUT=30

CHECKS=(
	"vireo-vmm: the guest on -netdev user reaches the gateway (ARP, ICMP to 192.0.2.2 and the DNS 192.0.2.3)"
	"vireo-vmm: hostfwd=udp:127.0.0.1:PORT-:7: host datagrams reach the guest's echo and come back"
	"vireo-vmm: hostfwd=tcp: the host port listens (a connect to 127.0.0.1:PORT succeeds)"
	"vireo-vmm: bad -netdev user options are errors naming the option"
	"vireo-vmm: a hostfwd port already in use is an error naming the rule"
	"QEMU: the guest on -netdev user passes the same checks"
	"same slirp TAP results under vireo-vmm and QEMU"
	"vireod: a domain with <interface type='user'> starts; its guest reaches the gateway"
	"vireod: the worker got -netdev user with net=192.0.2.0/24 and no tap"
)
skip_all() { vmm_skip_all "$1" "${CHECKS[@]}"; }

why=$(vmm_host_problem) && skip_all "$why"
[ -x "$VMM" ] && [ -f "$GUEST" ] || skip_all "vireo-vmm or the test guest is not built"

free_port() {	# a free port of 127.0.0.1 for udp or tcp
	python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# udp_client PORT COUNT: send COUNT datagrams to 127.0.0.1:PORT, each must come back
# intact within 2 s; then "bye". Prints the round trips.
udp_client() {
	python3 - "$1" "$2" <<'EOF'
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
rtt = []
try:
    for i in range(count):
        msg = b"vireo-slirp-%d-" % i + bytes(range(i % 200))
        t = time.monotonic()
        s.sendto(msg, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        if data != msg:
            sys.exit("datagram %d came back changed" % i)
        rtt.append((time.monotonic() - t) * 1e6)
finally:
    s.sendto(b"bye", ("127.0.0.1", port))
rtt.sort()
print("%d echoes, round trip median %.0f us, max %.0f us" % (len(rtt), rtt[len(rtt) // 2], rtt[-1]))
EOF
}

tcp_connect() {
	python3 -c 'import socket,sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()' "$1"
}

# ---- vireo-vmm ----

VMM_TIMEOUT=$RUN_TIMEOUT vmm_start plain -serial stdio -append slirp \
	-netdev "user,id=n0,$NET" -device virtio-net-pci,netdev=n0
vmm_wait_exit $RUN_TIMEOUT
plain_rc=$VMM_RC
if [ "$plain_rc" = 1 ] && [ "$(vmm_count_lines plain "1..5")" = 1 ] &&
	! grep -q "^not ok" "$T_TMP/plain.out" &&
	grep -q "^ok 2 - slirp: ARP: the gateway 192.0.2.2 answers$" "$T_TMP/plain.out" &&
	grep -q "^ok 3 - .*192.0.2.2 is answered$" "$T_TMP/plain.out" &&
	grep -q "^ok 4 - .*192.0.2.3 is answered$" "$T_TMP/plain.out"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "status $plain_rc" "$(vmm_log plain)"
fi

UPORT=$(free_port udp)
TPORT=$(free_port tcp)
VMM_TIMEOUT=$RUN_TIMEOUT vmm_start fwd -serial stdio -append "slirp udp-echo" \
	-netdev "user,id=n0,$NET,hostfwd=udp:127.0.0.1:$UPORT-:7,hostfwd=tcp:127.0.0.1:$TPORT-:22" \
	-device virtio-net-pci,netdev=n0
if vmm_wait_line fwd "# slirp: udp echo ready" 1 15; then
	tcp_connect "$TPORT" 2>"$T_TMP/tcp.err"; tcp_rc=$?
	udp_client "$UPORT" 50 >"$T_TMP/udp.out" 2>&1; udp_rc=$?
else
	tcp_rc=skipped; udp_rc=skipped
fi
vmm_wait_exit $RUN_TIMEOUT
if [ "$udp_rc" = 0 ] && [ "$VMM_RC" = 1 ] &&
	grep -q "^# slirp: echoed 50 datagrams$" "$T_TMP/fwd.out" &&
	grep -q "^ok 5 - slirp: UDP echo on port 7 served" "$T_TMP/fwd.out"; then
	t_ok "${CHECKS[1]}"
	echo "# udp hostfwd: $(cat "$T_TMP/udp.out")"
else
	t_fail "${CHECKS[1]}" "client status $udp_rc, worker $VMM_RC" "$(cat "$T_TMP/udp.out")" \
		"$(vmm_log fwd)"
fi
if [ "$tcp_rc" = 0 ]; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "connect: $tcp_rc" "$(cat "$T_TMP/tcp.err")"
fi

# bad options: "netdev text|what the error must contain"
BAD=(
	"user,id=n0,net=192.0.2.0/33|-netdev user,id=n0: net=192.0.2.0/33: the prefix length must be 4 to 32"
	"user,id=n0,$NET,host=198.51.100.2|host=198.51.100.2 is not a host address of the guest network"
	"user,id=n0,$NET,hostfwd=sctp::2222-:22|hostfwd=sctp::2222-:22: invalid forwarding rule (bad protocol name)"
	"user,id=n0,$NET,hostfwd=tcp::99999-:22|invalid forwarding rule (bad host port)"
	"user,id=n0,$NET,queues=2|-netdev user,id=n0: unknown property 'queues'"
	"user,id=n0,$NET,smb=/srv|-netdev user,id=n0: smb= is not supported by vireo-vmm"
	"user,id=n0,$NET,restrict=perhaps|restrict=perhaps: expected on or off"
)
bad_fail=
for b in "${BAD[@]}"; do
	nd=${b%%|*} want=${b#*|}
	out=$(timeout 10 "$VMM" -m 64 -nodefaults -display none -kernel "$GUEST" -netdev "$nd" \
		-device virtio-net-pci,netdev=n0 2>&1 </dev/null); rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ] || ! grep -qF -- "$want" <<<"$out"; then
		bad_fail+="$nd: status $rc: $out"$'\n'
	fi
done
if [ -z "$bad_fail" ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$bad_fail"
fi

# a port someone holds
python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(20)' >"$T_TMP/holder.port" &
holder=$!
t_track_pid $holder
t_wait_for 5 test -s "$T_TMP/holder.port"
HPORT=$(cat "$T_TMP/holder.port")
out=$(timeout 10 "$VMM" -m 64 -nodefaults -display none -kernel "$GUEST" \
	-netdev "user,id=n0,$NET,hostfwd=udp:127.0.0.1:$HPORT-:7" \
	-device virtio-net-pci,netdev=n0 2>&1 </dev/null); rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
if [ "$rc" != 0 ] && [ "$rc" != 124 ] &&
	grep -qF "hostfwd=udp:127.0.0.1:$HPORT-192.0.2.15:7: could not set up" <<<"$out"; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "status $rc" "$out"
fi

# ---- QEMU, for comparison ----

qemu_why=
command -v "$QEMU" >/dev/null || qemu_why="$QEMU is not installed"
[ -z "$qemu_why" ] && [ ! -f "$QBOOT" ] && qemu_why="$QBOOT is not installed"
if [ -n "$qemu_why" ]; then
	t_skip "${CHECKS[5]}" "$qemu_why"
	t_skip "${CHECKS[6]}" "$qemu_why"
else
	timeout -k 5 $RUN_TIMEOUT "$QEMU" -accel kvm -cpu qemu64 -m 128 -nographic -nodefaults \
		-no-user-config -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-bios "$QBOOT" -kernel "$GUEST" -append slirp -netdev "user,id=n0,$NET" \
		-device virtio-net-pci,netdev=n0,disable-legacy=on \
		</dev/null >"$T_TMP/qemu.out" 2>"$T_TMP/qemu.err"; qrc=$?
	if [ "$qrc" = 1 ] && ! grep -q "^not ok" "$T_TMP/qemu.out" &&
		grep -q "^ok 4 - .*192.0.2.3 is answered$" "$T_TMP/qemu.out"; then
		t_ok "${CHECKS[5]}"
	else
		t_fail "${CHECKS[5]}" "status $qrc" "$(tail -20 "$T_TMP/qemu.out" "$T_TMP/qemu.err")"
	fi
	if diff <(vmm_tap_lines <"$T_TMP/plain.out") <(vmm_tap_lines <"$T_TMP/qemu.out") \
		>"$T_TMP/diff" && [ -s "$T_TMP/plain.out" ]; then
		t_ok "${CHECKS[6]}"
	else
		t_fail "${CHECKS[6]}" "$(cat "$T_TMP/diff")"
	fi
fi

# ---- vireod ----

R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT
trap 'exit 1' TERM INT HUP
if ! dmn_start "$R"; then
	t_fail "${CHECKS[7]}" "vireod did not answer" "$(tail -20 "$R.log")"
	t_fail "${CHECKS[8]}" "vireod did not answer"
	t_done
	exit
fi
cat >"$T_TMP/u1.xml" <<EOF
<domain type='kvm'>
  <name>u1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$GUEST</kernel>
    <cmdline>slirp idle shutdown-after=$RUN_TIMEOUT</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>$VMM</emulator>
    <interface type='user'>
      <ip family='ipv4' address='192.0.2.0' prefix='24'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'/>
  </devices>
</domain>
EOF
def=$(rpc "$R" domain.define "$(xml_params <"$T_TMP/u1.xml")" 2>&1)
start=$(rpc "$R" domain.start '{"domain": "u1"}' 2>&1)
"$PYTHON" "$RPC_PY" "$R/run/vireo/vireod.sock" --console u1 "# idle:" 20 \
	>"$T_TMP/u1.serial" 2>&1
state=$(rpc "$R" domain.state '{"domain": "u1"}' 2>&1)
if grep -q "^1\.\.5" "$T_TMP/u1.serial" && ! grep -q "^not ok" "$T_TMP/u1.serial" &&
	grep -q "^ok 3 - .*192.0.2.2 is answered" "$T_TMP/u1.serial" &&
	grep -q "^ok 4 - .*192.0.2.3 is answered" "$T_TMP/u1.serial"; then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "define: $def" "start: $start" "state: $state" \
		"$(tail -20 "$T_TMP/u1.serial")" "$(tail -20 "$R.log")"
fi
pid=$(dom_pid "$R" u1)
args=$(tr '\0' ' ' <"/proc/${pid:-0}/cmdline" 2>/dev/null)
if grep -qF '"type":"user","net":"192.0.2.0/24"' <<<"$args" && ! grep -q '"type":"tap"' <<<"$args"; then
	t_ok "${CHECKS[8]}"
else
	t_fail "${CHECKS[8]}" "pid '$pid'" "$args"
fi
rpc "$R" domain.destroy '{"domain": "u1"}' >/dev/null 2>&1
dmn_stop
t_done
