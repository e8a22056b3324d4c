#!/bin/bash
# Hostile and broken clients: garbage bytes, a 4 GiB length, invalid JSON, frames cut
# short, unknown methods, wrong param types, no hello, and a uid without rights on the
# read-write socket. Each gets an error reply or a clean close; the daemon stays up,
# other clients never notice, and nothing it keeps changes.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT
SOCK=$R/run/vireo/vireod.sock

CHECKS=(
	"garbage bytes: one invalid-frame error (id null), then the connection closes"
	"a 4 GiB length prefix: invalid-frame naming the limit, closed at once"
	"a frame that is not JSON / not an object: invalid-frame"
	"a request before hello: protocol-error, the connection stays usable"
	"a bad id or non-object params: protocol-error"
	"an unknown method: unknown-method naming it"
	"wrong param types and ranges: invalid-argument naming the param"
	"clients that hang up mid-frame or mid-header do no harm"
	"a client that never reads does not stall the others"
	"the daemon is up and its state unchanged after all of it"
	"uid 65534 on the rw socket: read-only methods work, define is permission-denied"
	"the read-only socket refuses changes even to root"
	"group vireo (supplementary or primary) may change things on the rw socket; others may not"
	"no sanitizer report in the daemon's log"
)

dmn_start "$R"
dom_define "$R" keep
running=no
if ! vmm_host_problem >/dev/null; then
	rpc "$R" domain.start '{"domain": "keep"}' >/dev/null && running=yes
fi
before=$(rpc "$R" domain.list '{"all": true}' | sed 's/"cpu_time_ns": [0-9]*//g')
files_before=$(cd "$R/etc/vireo" && find . -type f -exec md5sum {} + | sort)

# One frame: hex of the 4-byte length + text.
frame_hex() {
	"$PYTHON" -c 'import struct,sys; t=sys.argv[1].encode(); print((struct.pack(">I", len(t)) + t).hex())' "$1"
}
# $2: how long to wait for more when the daemon (rightly) keeps the connection open
raw() { "$PYTHON" "$RPC_PY" "$SOCK" --raw "$1" "${2:-10}"; }
HELLO=$(frame_hex '{"id":1,"method":"hello","params":{"version":1}}')

out=$(raw "$(printf 'GARBAGE!' | od -An -tx1 | tr -d ' \n')00000003616263")
if [ "$(wc -l <<<"$out")" = 1 ] && grep -q '"id": null, "error": {"code": "invalid-frame"' <<<"$out"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "$out"
fi

t0=$(date +%s%N)
out=$(raw "ffffffff00")
ms=$((($(date +%s%N) - t0) / 1000000))
if grep -q '"invalid-frame", "message": "frame of 4294967295 bytes is over the limit of 16777216 bytes"' <<<"$out" &&
	[ $ms -lt 2000 ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$out ($ms ms)"
fi

o1=$(raw "${HELLO}$(frame_hex '{"id": 2, "method": ')")
o2=$(raw "${HELLO}$(frame_hex '[1,2,3]')")
o3=$(raw "${HELLO}$(frame_hex '{"id":2,"method":"ping"}')0000000000")
if grep -q '"id": null, "error": {"code": "invalid-frame", "message": "frame is not valid JSON' <<<"$o1" &&
	grep -q '"invalid-frame", "message": "frame is not a JSON object"' <<<"$o2" &&
	grep -q '"id": 2, "result": {}' <<<"$o3" && grep -q '"invalid-frame", "message": "frame of length 0"' <<<"$o3"; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "$o1" "$o2" "$o3"
fi

out=$(raw "$(frame_hex '{"id":5,"method":"domain.list"}')${HELLO}$(frame_hex '{"id":6,"method":"ping"}')" 1)
if grep -q '"id": 5, "error": {"code": "protocol-error", "message": "the first call must be '"'"'hello'"'"'"' <<<"$out" &&
	grep -q '"id": 6, "result": {}' <<<"$out"; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$out"
fi

out=$(raw "${HELLO}$(frame_hex '{"id":-3,"method":"ping"}')$(frame_hex '{"id":"x","method":"ping"}')$(frame_hex '{"id":9,"method":"ping","params":[1]}')$(frame_hex '{"id":10,"method":"hello","params":{"version":2}}')" 1)
if [ "$(grep -c '"protocol-error"' <<<"$out")" = 4 ] && grep -q '"id": 9, "error"' <<<"$out" &&
	grep -q 'unsupported protocol version 2' <<<"$out"; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$out"
fi

out=$(rpc "$R" domain.teleport '{"domain": "keep"}')
if [ "$out" = "error: unknown-method: unknown method 'domain.teleport'" ]; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "$out"
fi

bad=""
expect() {	# METHOD PARAMS MESSAGE
	local got
	got=$(rpc "$R" "$1" "$2")
	[ "$got" = "error: invalid-argument: $3" ] || bad="$bad [$1 $2 -> $got]"
}
expect domain.start '{"domain": 5}' "'domain' must be a string"
expect domain.start '{}' "'domain' is missing"
expect domain.list '{"all": "yes"}' "'all' must be true or false"
expect domain.setmem '{"domain": "keep", "kib": "lots"}' "'kib' must be an integer from 0 to 1099511627776"
expect domain.setmem '{"domain": "keep", "kib": -1}' "'kib' must be an integer from 0 to 1099511627776"
expect domain.setmem '{"domain": "keep", "kib": 1e6}' "'kib' must be an integer from 0 to 1099511627776"
expect domain.setmem '{"domain": "keep", "kib": 10485760}' "cannot set memory higher than max memory"
expect domain.shutdown '{"domain": "keep", "timeout": 1.5}' "'timeout' must be an integer from 0 to 86400"
expect domain.define '{"xml": ["<domain/>"]}' "'xml' must be a string"
expect domain.console '{"domain": "keep", "force": 1}' "'force' must be true or false"
expect domain.memstats_period '{"domain": "keep", "seconds": 99999999999}' "'seconds' must be an integer from 0 to 2147483647"
if [ -z "$bad" ]; then t_ok "${CHECKS[6]}"; else t_fail "${CHECKS[6]}" "$bad"; fi

# Cut short: a header announcing 16 MiB then 1 MiB and a hang-up; half a header; a
# hang-up right after a request (the reply goes nowhere).
"$PYTHON" - "$SOCK" <<'EOF'
import socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
s = conn(); s.sendall(struct.pack(">I", 16 << 20) + b"{" + b" " * (1 << 20)); s.close()
s = conn(); s.sendall(b"\x00\x00"); s.close()
s = conn()
for m in ("hello", "domain.list", "domain.xml"):
    t = ('{"id":1,"method":"%s","params":{"version":1,"domain":"keep"}}' % m).encode()
    s.sendall(struct.pack(">I", len(t)) + t)
s.close()
EOF
out=$(rpc "$R" ping)
if [ "$out" = "{}" ] && kill -0 "$DMN_PID"; then t_ok "${CHECKS[7]}"; else t_fail "${CHECKS[7]}" "$out"; fi

# A client asks for big replies and never reads them; another one is served meanwhile.
"$PYTHON" - "$SOCK" "$T_TMP/stuck.ready" <<'EOF' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
def send(o):
    t = o.encode(); s.sendall(struct.pack(">I", len(t)) + t)
send('{"id":1,"method":"hello","params":{"version":1}}')
for i in range(2, 2000):
    send('{"id":%d,"method":"domain.xml","params":{"domain":"keep"}}' % i)
open(sys.argv[2], "w").close()
time.sleep(30)
EOF
stuck=$!; t_track_pid $stuck
t_wait_for 20 test -e "$T_TMP/stuck.ready"
t0=$(date +%s%N)
out=$(rpc "$R" domain.list '{"all": true}')
ms=$((($(date +%s%N) - t0) / 1000000))
kill $stuck 2>/dev/null; wait $stuck 2>/dev/null
if [ -e "$T_TMP/stuck.ready" ] && grep -q '"name": "keep"' <<<"$out" && [ $ms -lt 2000 ]; then
	t_ok "${CHECKS[8]} (${ms} ms)"
else
	t_fail "${CHECKS[8]}" "$out ($ms ms)"
fi

after=$(rpc "$R" domain.list '{"all": true}' | sed 's/"cpu_time_ns": [0-9]*//g')
files_after=$(cd "$R/etc/vireo" && find . -type f -exec md5sum {} + | sort)
if kill -0 "$DMN_PID" && [ "$before" = "$after" ] && [ "$files_before" = "$files_after" ]; then
	t_ok "${CHECKS[9]} (domain running: $running)"
else
	t_fail "${CHECKS[9]}" "before: $before" "after:  $after"
fi

# The test root is private to root; let uid 65534 through to the sockets only.
chmod 711 "$T_TMP" "$R" "$R/run"
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$PYTHON" "$RPC_PY" "$@"; }
if ! setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
	t_skip "${CHECKS[10]}" "setpriv cannot change to uid 65534 here"
else
	o1=$(nobody "$SOCK" domain.list '{"all": true}')
	o2=$(nobody "$SOCK" domain.define "$(dom_xml intruder | xml_params)")
	o3=$(nobody "$SOCK" domain.destroy '{"domain": "keep"}')
	if grep -q '"name": "keep"' <<<"$o1" &&
		[ "$o2" = "error: permission-denied: 'domain.define' needs read-write access (uid 0 or group vireo)" ] &&
		grep -q '^error: permission-denied: ' <<<"$o3" &&
		[ "$(rpc "$R" domain.list '{"all": true}' | sed 's/"cpu_time_ns": [0-9]*//g')" = "$before" ]; then
		t_ok "${CHECKS[10]}"
	else
		t_fail "${CHECKS[10]}" "$o1" "$o2" "$o3"
	fi
fi

out=$(rpc_ro "$R" domain.undefine '{"domain": "keep"}')
ro_list=$(rpc_ro "$R" domain.list '{"all": true}')
if [ "$out" = "error: permission-denied: 'domain.undefine' needs read-write access: this is the read-only socket" ] &&
	grep -q '"name": "keep"' <<<"$ro_list"; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "$out" "$ro_list"
fi

# Group vireo: the daemon looks it up by name. A second daemon runs in a private mount
# namespace whose /etc/group has a vireo line, so the host's files stay as they are.
R2=$T_TMP/root2
G=${CHECKS[12]}
cp /etc/group "$T_TMP/group" && echo "vireo:x:64999:" >>"$T_TMP/group"
if ! setpriv --reuid 65534 --regid 65534 --groups 64999 true 2>/dev/null ||
   ! unshare -m true 2>/dev/null; then
	t_skip "$G" "setpriv or unshare -m cannot run here"
else
	mkdir -p "$R2"
	unshare -m sh -c 'mount --bind "$1" /etc/group && exec "$2" -v --root "$3"' sh \
		"$T_TMP/group" "$VIREOD" "$R2" 2>>"$R2.log" &
	gpid=$!; t_track_pid $gpid
	t_wait_for 10 rpc "$R2" ping >/dev/null
	chmod 711 "$R2" "$R2/run"
	S2=$R2/run/vireo/vireod.sock
	o1=$(setpriv --reuid 65534 --regid 65534 --groups 64999 "$PYTHON" "$RPC_PY" "$S2" \
		domain.define "$(dom_xml member | xml_params)")
	o2=$(setpriv --reuid 65534 --regid 64999 --clear-groups "$PYTHON" "$RPC_PY" "$S2" \
		domain.define "$(dom_xml primary | xml_params)")
	o3=$(nobody "$S2" domain.define "$(dom_xml intruder | xml_params)")
	names=$(rpc "$R2" domain.list '{"all": true}' | grep -o '"name": "[a-z]*"' | sort | tr '\n' ' ')
	if grep -q '"name": "member"' <<<"$o1" && grep -q '"name": "primary"' <<<"$o2" &&
	   grep -q '^error: permission-denied: ' <<<"$o3" &&
	   [ "$names" = '"name": "member" "name": "primary" ' ]; then
		t_ok "$G"
	else
		t_fail "$G" "supplementary: $o1" "primary: $o2" "other: $o3" "domains: $names"
	fi
	kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
fi

[ $running = yes ] && rpc "$R" domain.destroy '{"domain": "keep"}' >/dev/null
dmn_stop
rep=$(dmn_sanitizer_report "$R")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
