#!/bin/bash
# vireo -c ssh://...: the CLI runs `ssh host vireo --root DIR --proxy-stdio` and speaks
# the RPC through it, console included. First through a stand-in for ssh that runs the
# remote command locally (the proxy itself, on every host), then through a real sshd
# listening on 127.0.0.1 inside a network namespace made for the test, with a
# temporary host key and authorized key.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
SSHD=${SSHD:-/usr/sbin/sshd}
SSHD_PID_FILE=$T_TMP/sshd.pid
# Only the sshd this test started: the pid from its pid file, if it still is an sshd.
stop_sshd() {
	local pid
	pid=$(cat "$SSHD_PID_FILE" 2>/dev/null)
	[ -n "$pid" ] && grep -q sshd "/proc/$pid/comm" 2>/dev/null && kill "$pid"
}
trap 'stop_sshd; cli_daemon_stop; t_cleanup' EXIT

P_LIST="through the proxy: list --all matches the local table"
P_WRITE="through the proxy: define and undefine (read-write methods) work"
P_CONSOLE="through the proxy: start, and the console shows the guest's banner"
P_EOF="the proxy exits when its stdin ends"
S_LIST="through sshd: list --all matches the local table, uri names the ssh URI"
S_CONSOLE="through sshd: the console shows the guest's banner"
S_BADKEY="through sshd: an unknown host key is 'failed to connect to the hypervisor'"

if ! cli_daemon_start "$T_TMP/root" >"$T_TMP/start.out"; then
	out=$(cat "$T_TMP/start.out")
	for c in "$P_LIST" "$P_WRITE" "$P_CONSOLE" "$P_EOF" "$S_LIST" "$S_CONSOLE" "$S_BADKEY"; do
		t_fail "$c" "$out"
	done
	t_done; exit
fi
guest_why=$(cli_guest_problem) || guest_why=""
xml=$T_TMP/remote.xml
cli_domain_xml remote >"$xml"
v define "$xml" >/dev/null
local_list=$(v list --all)

# An "ssh" that runs the remote command line here, as sshd would through a shell.
cat >"$T_TMP/fake-ssh" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
shift 2	# "--" and the host
exec bash -c "$*"
EOF
chmod +x "$T_TMP/fake-ssh"
uri="ssh://tester@vireo-host$CLI_ROOT?command=$VIREO"
vp() { VIREO_SSH=$T_TMP/fake-ssh "$VIREO" -c "$uri" "$@"; }

out=$(vp list --all 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$local_list" ] && t_ok "$P_LIST" \
	|| t_fail "$P_LIST" "rc=$rc" "got:" "$out" "local:" "$local_list"

o1=$(vp undefine remote 2>&1); r1=$?
o2=$(vp define "$xml" 2>&1); r2=$?
if [ $r1 -eq 0 ] && [ "$o1" = "Domain 'remote' has been undefined" ] && [ $r2 -eq 0 ] &&
	[ "$o2" = "Domain 'remote' defined from $xml" ]; then
	t_ok "$P_WRITE"
else
	t_fail "$P_WRITE" "$r1: $o1" "$r2: $o2"
fi

# console_banner OUT COMMAND...: attach with stdin held open, wait for the banner, detach.
console_banner() {
	local outf=$1 cpid ok=1
	shift
	rm -f "$T_TMP/cin"; mkfifo "$T_TMP/cin"
	timeout 30 "$@" console remote <"$T_TMP/cin" >"$outf" 2>&1 &
	cpid=$!; t_track_pid $cpid
	exec 8>"$T_TMP/cin"
	t_wait_for 15 grep -q "vireo-testguest ready" "$outf" &&
		grep -qx "Connected to domain 'remote'" "$outf" && ok=0
	exec 8>&-
	kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
	return $ok
}

if [ -n "$guest_why" ]; then
	t_skip "$P_CONSOLE" "$guest_why"
else
	o1=$(vp start remote 2>&1)
	if console_banner "$T_TMP/pconsole.out" env VIREO_SSH="$T_TMP/fake-ssh" "$VIREO" -c "$uri"
	then
		t_ok "$P_CONSOLE"
	else
		t_fail "$P_CONSOLE" "start: $o1" "$(cat "$T_TMP/pconsole.out")" \
			"$(tail -n 20 "$CLI_ROOT.log")"
	fi
fi

# The proxy alone: a hello frame on stdin, then stdin ends: it answers and exits by itself.
frame() { python3 -c 'import json, struct, sys
b = json.dumps({"id": 1, "method": "hello", "params": {"version": 1}}).encode()
sys.stdout.buffer.write(struct.pack(">I", len(b)) + b)'; }
unframe() { python3 -c 'import json, struct, sys
d = sys.stdin.buffer.read(); n = struct.unpack(">I", d[:4])[0]
print(json.loads(d[4:4 + n]).get("result", {}).get("version"))'; }
frame | timeout 10 "$VIREO" --root "$CLI_ROOT" --proxy-stdio >"$T_TMP/proxy.out"
rc=${PIPESTATUS[1]}
out=$(unframe <"$T_TMP/proxy.out" 2>&1)
if [ "$rc" = 0 ] && [ "$out" = 1 ]; then
	t_ok "$P_EOF"
else
	t_fail "$P_EOF" "proxy rc=$rc (124: did not exit)" "$out"
fi

# ---- a real sshd in a network namespace ------------------------------------------------
sshd_why=""
if [ ! -x "$SSHD" ]; then
	sshd_why="sshd is not installed (Debian: openssh-server)"
elif ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
	sshd_why="ssh or ssh-keygen is not installed (openssh-client)"
elif ! command -v ip >/dev/null; then
	sshd_why="ip is not installed (iproute2): cannot bring up lo in the namespace"
elif [ "$(id -u)" != 0 ]; then
	sshd_why="needs root for a network namespace and sshd's privilege separation"
elif ! unshare -m -n true 2>/dev/null; then
	sshd_why="cannot create mount and network namespaces here"
fi
if [ -n "$sshd_why" ]; then
	t_skip "$S_LIST" "$sshd_why"
	t_skip "$S_CONSOLE" "$sshd_why"
	t_skip "$S_BADKEY" "$sshd_why"
	t_done; exit
fi

k=$T_TMP/ssh
mkdir -p "$k"
ssh-keygen -q -t ed25519 -N '' -f "$k/hostkey" && ssh-keygen -q -t ed25519 -N '' -f "$k/userkey"
ssh-keygen -q -t ed25519 -N '' -f "$k/otherkey"
cp "$k/userkey.pub" "$k/authorized_keys"
chmod 600 "$k/authorized_keys"
echo "127.0.0.1 $(cat "$k/hostkey.pub")" >"$k/known_hosts"
echo "127.0.0.1 $(cat "$k/otherkey.pub")" >"$k/wrong_known_hosts"
cat >"$k/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port 22
HostKey $k/hostkey
AuthorizedKeysFile $k/authorized_keys
PidFile $SSHD_PID_FILE
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
EOF
for f in known_hosts wrong_known_hosts; do
	cat >"$k/ssh_config.$f" <<EOF
Host *
  IdentityFile $k/userkey
  IdentitiesOnly yes
  UserKnownHostsFile $k/$f
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
done

# Inside the namespaces: lo up, sshd (privilege separation needs /run/sshd: a tmpfs
# over /run, seen only in this mount namespace, when the host has none), the clients.
cat >"$T_TMP/inner.sh" <<EOF
ip link set lo up || exit 3
if [ ! -d /run/sshd ]; then mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd || exit 3; fi
"$SSHD" -f "$k/sshd_config" -E "$k/sshd.log" || exit 3
for i in \$(seq 50); do [ -s "$SSHD_PID_FILE" ] && break; sleep 0.1; done
u="ssh://root@127.0.0.1$CLI_ROOT?command=$VIREO"
export VIREO_SSH="ssh -F $k/ssh_config.known_hosts"
"$VIREO" -c "\$u" list --all >"$T_TMP/s-list.out" 2>&1; echo \$? >"$T_TMP/s-list.rc"
"$VIREO" -c "\$u" uri >"$T_TMP/s-uri.out" 2>&1
VIREO_SSH="ssh -F $k/ssh_config.wrong_known_hosts" "$VIREO" -c "\$u" list \
	>"$T_TMP/s-bad.out" 2>&1; echo \$? >"$T_TMP/s-bad.rc"
if [ -z "$guest_why" ]; then
	mkfifo "$T_TMP/scin"
	timeout 30 "$VIREO" -c "\$u" console remote <"$T_TMP/scin" >"$T_TMP/s-console.out" 2>&1 &
	cp=\$!
	exec 8>"$T_TMP/scin"
	for i in \$(seq 150); do
		grep -q "vireo-testguest ready" "$T_TMP/s-console.out" && break
		sleep 0.1
	done
	exec 8>&-
	kill \$cp; wait \$cp
fi
kill \$(cat "$SSHD_PID_FILE")
EOF
timeout 90 unshare -m -n bash "$T_TMP/inner.sh"; irc=$?
stop_sshd
if [ $irc -eq 3 ]; then
	for c in "$S_LIST" "$S_CONSOLE" "$S_BADKEY"; do
		t_fail "$c" "sshd did not start in the namespace" "$(cat "$k/sshd.log" 2>/dev/null)"
	done
	t_done; exit
fi

out=$(cat "$T_TMP/s-list.out" 2>/dev/null)
if [ "$(cat "$T_TMP/s-list.rc" 2>/dev/null)" = 0 ] && [ "$out" = "$(v list --all)" ] &&
	[ "$(head -n 1 "$T_TMP/s-uri.out")" = "ssh://root@127.0.0.1$CLI_ROOT?command=$VIREO" ]; then
	t_ok "$S_LIST"
else
	t_fail "$S_LIST" "$out" "$(cat "$T_TMP/s-uri.out" 2>/dev/null)" "$(cat "$k/sshd.log" 2>/dev/null)"
fi
if [ -n "$guest_why" ]; then
	t_skip "$S_CONSOLE" "$guest_why"
elif grep -q "vireo-testguest ready" "$T_TMP/s-console.out" &&
	grep -qx "Connected to domain 'remote'" "$T_TMP/s-console.out"; then
	t_ok "$S_CONSOLE"
else
	t_fail "$S_CONSOLE" "$(cat "$T_TMP/s-console.out" 2>/dev/null)" "$(cat "$k/sshd.log" 2>/dev/null)"
fi
out=$(cat "$T_TMP/s-bad.out" 2>/dev/null)
if [ "$(cat "$T_TMP/s-bad.rc" 2>/dev/null)" = 1 ] &&
	grep -q "^error: failed to connect to the hypervisor" <<<"$out"; then
	t_ok "$S_BADKEY"
else
	t_fail "$S_BADKEY" "$out"
fi

t_done
