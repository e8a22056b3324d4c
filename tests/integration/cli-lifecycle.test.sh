#!/bin/bash
# The vireo CLI against a real vireod in a temporary root, the test guest as the VM:
# define -> list shows shut off -> start -> running, the console shows the guest's
# banner -> suspend/resume -> setmem halves the memory and dommemstat shows the
# balloon's actual size -> shutdown (ACPI) within 10 s -> start again -> destroy ->
# undefine; with virsh's messages, shapes and exit codes on the way.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
trap 'cli_daemon_stop; t_cleanup' EXIT

CHECKS=("define prints virsh's message and list --all shows the domain shut off"
	"start prints 'started' and list shows the domain running with an id"
	"domid, domuuid and domname agree with each other"
	"the console shows the guest's banner after virsh's greeting"
	"suspend/resume change domstate --reason to paused (user) / running (unpaused)"
	"setmem to half halves dominfo's Used memory"
	"dommemstat shows the balloon's actual size after setmem"
	"--json on list, dominfo, domstate and dommemstat is JSON with the same facts"
	"shutdown powers the guest off through ACPI within 10 s"
	"start works again after a shutdown"
	"errors are 'error: ...' lines with exit status 1"
	"destroy stops the domain: shut off (destroyed)"
	"autostart and autostart --disable show in dominfo"
	"undefine removes it: failed to get domain afterwards"
	"bash completion offers commands, options and domain names"
	"a refused read-write socket: read-only commands use the read-only one"
	"on a terminal ^] leaves the console (status 0) and frees it; a busy console needs --force"
	"create (transient), reboot, reset, list --state-*, dommemstat --period, destroy --graceful"
	"setmaxmem --config and dumpxml --inactive: the definition changes, not the running domain")

cli_begin "${CHECKS[@]}"
xml=$T_TMP/guest.xml
cli_domain_xml guest >"$xml"

# explain: the daemon's log and the domain's, for a failure report
explain() {
	echo "--- vireod log (tail)"
	tail -n 30 "$CLI_ROOT.log"
	echo "--- domain log (tail)"
	tail -n 20 "$CLI_ROOT/var/log/vireo/guest.log" 2>/dev/null
}

# ---- define, list --------------------------------------------------------------
out=$(v define "$xml" 2>&1); rc=$?
list=$(v list --all 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' defined from $xml" ] &&
	grep -qE '^ -    guest   shut off$' <<<"$list"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "rc=$rc" "$out" "$list" "$(explain)"
fi

# ---- start -----------------------------------------------------------------------
out=$(v start guest 2>&1); rc=$?
list=$(v list 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' started" ] &&
	grep -qE '^ [0-9]+ +guest   running$' <<<"$list" &&
	[ "$(v domstate guest --reason)" = "running (booted)" ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "rc=$rc" "$out" "$list" "$(v domstate guest --reason 2>&1)" "$(explain)"
fi

id=$(v domid guest); uuid=$(v domuuid guest)
if [[ $id =~ ^[0-9]+$ ]] && [ "$(v domname "$id")" = guest ] &&
	[ "$(v domname "$uuid")" = guest ] && [ "$(v domuuid "$id")" = "$uuid" ] &&
	[[ $uuid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "id='$id' uuid='$uuid' name-by-id='$(v domname "$id" 2>&1)'"
fi

# ---- console: no terminal, so vireo relays until we stop it ----------------------
mkfifo "$T_TMP/console.in"
timeout 30 "$VIREO" --root "$CLI_ROOT" console guest <"$T_TMP/console.in" \
	>"$T_TMP/console.out" 2>&1 &
cpid=$!; t_track_pid $cpid
exec 7>"$T_TMP/console.in"	# hold stdin open: the console stays attached
if t_wait_for 15 grep -q "vireo-testguest ready" "$T_TMP/console.out" &&
	[ "$(head -n 2 "$T_TMP/console.out")" = "Connected to domain 'guest'
Escape character is ^] (Ctrl + ])" ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$(cat "$T_TMP/console.out")" "$(explain)"
fi
# While that console is attached: a second one is refused, --force takes it over.
busy=$(timeout 10 "$VIREO" --root "$CLI_ROOT" console guest </dev/null 2>&1); busy_rc=$?
exec 7>&-
kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
# On a terminal (script(1) gives it one): raw mode, ^] after the banner leaves.
if command -v script >/dev/null; then
	{ sleep 3; printf '\035'; sleep 2; } |
		timeout 20 script -qfec "$VIREO --root $CLI_ROOT console guest --force" /dev/null \
		>"$T_TMP/tty.out" 2>&1
	tty_rc=$?
	again=$(timeout 3 "$VIREO" --root "$CLI_ROOT" console guest </dev/null 2>&1)
	if [ $busy_rc -eq 1 ] && grep -q "^error: " <<<"$busy" && [ $tty_rc -eq 0 ] &&
		grep -q "vireo-testguest ready" "$T_TMP/tty.out" &&
		grep -q "^Connected to domain 'guest'" <<<"$again" && ! grep -q "^error" <<<"$again"; then
		t_ok "${CHECKS[16]}"
	else
		t_fail "${CHECKS[16]}" "second console: rc=$busy_rc $busy" "terminal: rc=$tty_rc" \
			"$(cat -A "$T_TMP/tty.out")" "after ^]: $again"
	fi
else
	t_skip "${CHECKS[16]}" "script(1) is not installed (util-linux): no terminal to test with"
fi

# ---- suspend / resume --------------------------------------------------------------
s1=$(v suspend guest 2>&1); st1=$(v domstate guest --reason 2>&1)
s2=$(v resume guest 2>&1); st2=$(v domstate guest --reason 2>&1)
if [ "$s1" = "Domain 'guest' suspended" ] && [ "$st1" = "paused (user)" ] &&
	[ "$s2" = "Domain 'guest' resumed" ] && [ "$st2" = "running (unpaused)" ]; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$s1" "$st1" "$s2" "$st2"
fi

# ---- setmem / dommemstat -------------------------------------------------------------
out=$(v setmem guest 32M 2>&1); rc=$?
# dominfo's Used memory follows the balloon as the guest gives its pages back.
used_is_half() { [ "$(v dominfo guest 2>/dev/null | sed -n 's/^Used memory: *//p')" = "32768 KiB" ]; }
if [ $rc -eq 0 ] && [ -z "$out" ] && t_wait_for 15 used_is_half; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "rc=$rc" "setmem said: $out" "$(v dominfo guest 2>&1)" "$(explain)"
fi
actual_is_half() { [ "$(v dommemstat guest 2>/dev/null | sed -n 's/^actual //p')" = 32768 ]; }
if t_wait_for 15 actual_is_half; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "$(v dommemstat guest 2>&1)" "$(explain)"
fi

# ---- --json -------------------------------------------------------------------------------
v list --json >"$T_TMP/list.json" 2>&1
v dominfo guest --json >"$T_TMP/dominfo.json" 2>&1
v domstate guest --json >"$T_TMP/domstate.json" 2>&1
v dommemstat guest --json >"$T_TMP/memstat.json" 2>&1
if out=$(python3 - "$T_TMP" "$uuid" <<'EOF' 2>&1
import json, sys
d, uuid = sys.argv[1], sys.argv[2]
lst = json.load(open(d + "/list.json"))
info = json.load(open(d + "/dominfo.json"))
state = json.load(open(d + "/domstate.json"))
mem = json.load(open(d + "/memstat.json"))
assert [x["name"] for x in lst] == ["guest"], lst
assert info["uuid"] == uuid and info["state"] == "running" and info["id"] >= 0, info
assert 0 < info["memory_kib"] <= 65536 and info["max_memory_kib"] == 65536, info
assert state == {"state": "running", "reason": state["reason"]}, state
assert isinstance(mem.get("actual"), int), mem
EOF
); then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "$out" "$(cat "$T_TMP"/*.json)"
fi

# ---- shutdown ------------------------------------------------------------------------------
t0=$(date +%s%N)
out=$(v shutdown guest 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' is being shutdown" ] &&
	cli_wait_state guest "shut off" 10; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	t_ok "${CHECKS[8]} (${ms} ms; $(v domstate guest --reason))"
else
	t_fail "${CHECKS[8]}" "rc=$rc" "$out" "$(v domstate guest --reason 2>&1)" "$(explain)"
fi

out=$(v start guest 2>&1); rc=$?
if [ $rc -eq 0 ] && cli_wait_state guest running 5 && [ "$(v dominfo guest | sed -n 's/^Used memory: *//p')" != "" ]; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "rc=$rc" "$out" "$(explain)"
fi

# ---- errors ------------------------------------------------------------------------------------
e1=$(v start guest 2>&1); r1=$?
e2=$(v dominfo nosuch 2>&1); r2=$?
e3=$(v setmem guest lots 2>&1); r3=$?
e4=$(v define "$T_TMP/missing.xml" 2>&1); r4=$?
if [ $r1 -eq 1 ] && [ "$(head -n 1 <<<"$e1")" = "error: Failed to start domain 'guest'" ] &&
	[ "$(wc -l <<<"$e1")" -ge 2 ] &&
	[ $r2 -eq 1 ] && [ "$e2" = "error: failed to get domain 'nosuch'" ] &&
	[ $r3 -eq 1 ] && grep -q "^error: Scaled numeric value 'lots' for <size> option" <<<"$e3" &&
	[ $r4 -eq 1 ] && grep -q "^error: Failed to define domain from $T_TMP/missing.xml" <<<"$e4"; then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "$r1: $e1" "$r2: $e2" "$r3: $e3" "$r4: $e4"
fi

# ---- destroy, autostart, undefine ------------------------------------------------------------------
out=$(v destroy guest 2>&1); rc=$?
st=$(v domstate guest --reason 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' destroyed" ] && [ "$st" = "shut off (destroyed)" ]; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "rc=$rc" "$out" "$st" "$(explain)"
fi

a1=$(v autostart guest 2>&1); i1=$(v dominfo guest 2>&1 | grep '^Autostart:')
a2=$(v autostart guest --disable 2>&1); i2=$(v dominfo guest 2>&1 | grep '^Autostart:')
if [ "$a1" = "Domain 'guest' marked as autostarted" ] && [ "$i1" = "Autostart:      enable" ] &&
	[ "$a2" = "Domain 'guest' unmarked as autostarted" ] && [ "$i2" = "Autostart:      disable" ]; then
	t_ok "${CHECKS[12]}"
else
	t_fail "${CHECKS[12]}" "$a1" "$i1" "$a2" "$i2"
fi

# ---- the other commands, on a transient domain and on the definition -----------------
cli_domain_xml temp >"$T_TMP/temp.xml"
o=()
o+=("$(v create "$T_TMP/temp.xml" 2>&1)")
o+=("$(v reboot temp 2>&1)")
o+=("$(v reset temp 2>&1)")
o+=("$(v list --state-running --name 2>&1)")
o+=("$(v list --state-shutoff --name 2>&1)")
o+=("$(v dommemstat temp --period 2 2>&1)")
o+=("$(v destroy temp --graceful 2>&1)")
o+=("$(v list --all --name 2>&1)")
want=("Domain 'temp' created from $T_TMP/temp.xml" "Domain 'temp' is being rebooted"
	"Domain 'temp' was reset" "temp" "guest" "" "Domain 'temp' destroyed" "guest")
bad=""
for i in "${!want[@]}"; do
	[ "${o[i]}" = "${want[i]}" ] || bad="$bad [$i: got '${o[i]}' want '${want[i]}']"
done
[ -z "$bad" ] && t_ok "${CHECKS[17]}" || t_fail "${CHECKS[17]}" "$bad" "$(explain)"

v start guest >/dev/null 2>&1
m1=$(v setmaxmem guest 96M --config 2>&1); r1=$?
m2=$(v setmaxmem guest 96M --live 2>&1); r2=$?
live_max=$(v dominfo guest | sed -n 's/^Max memory: *//p')
inactive=$(v dumpxml guest --inactive | grep -o "<memory unit='KiB'>[0-9]*</memory>")
active=$(v dumpxml guest | grep -o "<memory unit='KiB'>[0-9]*</memory>")
v destroy guest >/dev/null 2>&1
if [ $r1 -eq 0 ] && [ -z "$m1" ] && [ $r2 -eq 1 ] &&
	[ "$(head -n 1 <<<"$m2")" = "error: Unable to change MaxMemorySize" ] &&
	[ "$inactive" = "<memory unit='KiB'>98304</memory>" ] &&
	[ "$active" = "<memory unit='KiB'>65536</memory>" ] && [ "$live_max" = "65536 KiB" ]; then
	t_ok "${CHECKS[18]}"
else
	t_fail "${CHECKS[18]}" "--config: $r1 $m1" "--live: $r2 $m2" "inactive: $inactive" \
		"active: $active" "dominfo: $live_max"
fi

# ---- bash completion (while the domain still exists) -------------------------------------------------
complete_words() {
	# shellcheck disable=SC1090
	( PATH=$VIREO_TEST_BUILDDIR/client:$PATH
	  complete() { :; }
	  . "$VIREO_TEST_SRCDIR/client/bash-completion/vireo"
	  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	  _vireo_complete
	  printf '%s\n' "${COMPREPLY[@]}" )
}
c1=$(complete_words vireo dom)
c2=$(complete_words vireo --root "$CLI_ROOT" dominfo "")
c3=$(complete_words vireo setmem guest --c)
if grep -qx dominfo <<<"$c1" && grep -qx dommemstat <<<"$c1" && ! grep -qx start <<<"$c1" &&
	[ "$c2" = guest ] && grep -qx -- --config <<<"$c3" && grep -qx -- --current <<<"$c3"; then
	t_ok "${CHECKS[14]}"
	COMPLETION_OK=1
else
	COMPLETION_OK=0
	COMPLETION_WHY=("commands for 'dom': $c1" "domains: $c2" "options for 'setmem --c': $c3")
fi

out=$(v undefine guest 2>&1); rc=$?
e=$(v dominfo guest 2>&1); erc=$?
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' has been undefined" ] && [ $erc -eq 1 ] &&
	[ "$e" = "error: failed to get domain 'guest'" ] && [ -z "$(v list --all --name)" ]; then
	t_ok "${CHECKS[13]}"
else
	t_fail "${CHECKS[13]}" "rc=$rc" "$out" "$e" "$(v list --all 2>&1)"
fi
[ "$COMPLETION_OK" = 1 ] || t_fail "${CHECKS[14]}" "${COMPLETION_WHY[@]}"

# ---- the read-only socket: a user the rw socket refuses (as a 0660 root:vireo socket
# refuses everyone else) still lists; a write command says what it needs ----------------
rw=$CLI_ROOT/run/vireo/vireod.sock
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	t_skip "${CHECKS[15]}" "needs root and setpriv to run the CLI as another user"
else
	mode=$(stat -c %a "$rw")
	chmod 755 "$T_TMP"; chmod 644 "$xml"; chmod 600 "$rw"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$VIREO" --root "$CLI_ROOT" "$@"; }
	o1=$(nobody list --all 2>&1); r1=$?
	o2=$(nobody define "$xml" 2>&1); r2=$?
	chmod "$mode" "$rw"
	if [ $r1 -eq 0 ] && [ "$(head -n 1 <<<"$o1")" = " Id   Name   State" ] && [ $r2 -eq 1 ] &&
		grep -q "^error: Failed to connect socket to '$rw': Permission denied (this command needs read-write access: uid 0 or group vireo)$" <<<"$o2"; then
		t_ok "${CHECKS[15]}"
	else
		t_fail "${CHECKS[15]}" "list: rc=$r1" "$o1" "define: rc=$r2" "$o2"
	fi
fi

t_done
