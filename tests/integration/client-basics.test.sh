#!/bin/bash
# The vireo CLI's shape without a daemon: help, version, virsh's command-line errors and
# exit codes, connection errors, the offline XML commands, the man page.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
VIREO=$VIREO_TEST_BUILDDIR/client/vireo
export VIREO_SCHEMA_DIR=$VIREO_TEST_SRCDIR/schemas
nodaemon=$T_TMP/nothing-here

out=$("$VIREO" --root "$nodaemon" version); rc=$?
if [ $rc -eq 0 ] && grep -qx "Compiled against library: vireo 0.1.0" <<<"$out" &&
	grep -qx "Using library: vireo 0.1.0" <<<"$out"; then
	t_ok "version prints virsh's shape, also without a daemon"
else
	t_fail "version prints virsh's shape, also without a daemon" "rc=$rc" "$out"
fi

out=$("$VIREO" help); rc=$?
missing=""
for c in define undefine create start shutdown destroy reboot reset suspend resume autostart \
	list dominfo domstate dumpxml domid domuuid domname setmem setmaxmem dommemstat console \
	version uri help validate domxml-format domxml-to-native; do
	grep -q "^    $c " <<<"$out" || missing="$missing $c"
done
[ $rc -eq 0 ] && [ -z "$missing" ] && t_ok "help lists every command" \
	|| t_fail "help lists every command" "missing:$missing" "$out"

out=$("$VIREO" help setmem); out2=$("$VIREO" setmem --help)
if grep -qx "    setmem <domain> <size> \[--config\] \[--live\] \[--current\]" <<<"$out" &&
	grep -qx "    \[--domain\] <string>  domain name, id or uuid" <<<"$out" && [ "$out" = "$out2" ]; then
	t_ok "help COMMAND and COMMAND --help print virsh's synopsis and options"
else
	t_fail "help COMMAND and COMMAND --help print virsh's synopsis and options" "$out" "$out2"
fi

# virsh's words and status 1 for every kind of command-line mistake, no blank line after.
check_error() {
	local name=$1 want=$2; shift 2
	local out rc
	out=$("$VIREO" "$@" 2>&1); rc=$?
	if [ $rc -eq 1 ] && [ "$out" = "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "vireo $*: rc=$rc" "got:  $out" "want: $want"
	fi
}
check_error "an unknown command is virsh's error with exit 1" \
	"error: unknown command: 'frobnicate'" frobnicate
check_error "a missing option value is named" \
	"error: option '--connect' needs a value" --connect
check_error "a missing <domain> is virsh's 'requires <domain> option'" \
	"error: command 'start' requires <domain> option" start
check_error "a missing --size is virsh's 'requires --size option'" \
	"error: command 'setmem' requires --size option" setmem web
check_error "an unknown option names the command and the option" \
	"error: command 'list' doesn't support option --bogus" list --bogus
check_error "an extra word is virsh's 'unexpected data'" \
	"error: unexpected data 'extra'" dominfo web extra
check_error "an option given twice is refused" \
	"error: option --domain already seen" dominfo web --domain web
check_error "--current with --live is refused before connecting" \
	"error: Options --current and --live are mutually exclusive" \
	--root "$nodaemon" setmem web 1G --current --live

check_error "no daemon: virsh's two connection error lines" \
	"error: failed to connect to the hypervisor
error: Failed to connect socket to '$nodaemon/run/vireo/vireod.sock': No such file or directory" \
	--root "$nodaemon" list
check_error "a -c URI vireo does not speak is named" \
	"error: failed to connect to the hypervisor
error: no connection driver available for qemu:///system" -c qemu:///system list
check_error "--root and -c together are refused" \
	"error: failed to connect to the hypervisor
error: --root and --connect cannot be used together" -c unix:/x --root /y list
check_error "-c unix:PATH connects to that socket" \
	"error: failed to connect to the hypervisor
error: Failed to connect socket to '$T_TMP/s.sock': No such file or directory" \
	-c "unix:$T_TMP/s.sock" dominfo web
out=$("$VIREO" --root "$nodaemon" --proxy-stdio </dev/null 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "^error: Failed to connect socket to '$nodaemon/run/vireo/vireod.sock'" <<<"$out" \
	&& t_ok "--proxy-stdio without a daemon fails with the socket named" \
	|| t_fail "--proxy-stdio without a daemon fails with the socket named" "rc=$rc" "$out"

# The offline commands keep working through the new option parser.
sed -e "s|/usr/local/libexec/vireo/testguest.elf|/tmp/guest.elf|" \
	"$VIREO_TEST_SRCDIR/examples/demo-domain.xml" >"$T_TMP/demo.xml"
out=$("$VIREO" validate "$T_TMP/demo.xml" 2>&1); rc=$?
out2=$("$VIREO" domxml-to-native qemu-argv "$T_TMP/demo.xml" --worker qemu --shell 2>&1); rc2=$?
if [ $rc -eq 0 ] && [ "$out" = "$T_TMP/demo.xml validates" ] && [ $rc2 -eq 0 ] &&
	grep -q "^/usr/bin/qemu-system-x86_64 .*-kernel /tmp/guest.elf" <<<"$out2"; then
	t_ok "validate and domxml-to-native still work"
else
	t_fail "validate and domxml-to-native still work" "$rc: $out" "$rc2: $out2"
fi

# The man page: renders without warnings and documents every command of `vireo help`.
page=$VIREO_TEST_SRCDIR/docs/vireo.1
if ! command -v groff >/dev/null && ! command -v nroff >/dev/null; then
	t_skip "docs/vireo.1 renders cleanly and covers every command" "no groff/nroff on this host"
else
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1 || nroff -man -ww "$page" 2>&1 >/dev/null)
	text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g')
	undocumented=""
	for c in $("$VIREO" help | awk '/^    [a-z]/ { print $1 }'); do
		grep -qE "(^|[ ,])$c( |,|$)" <<<"$text" || undocumented="$undocumented $c"
	done
	if [ -z "$warn" ] && [ -z "$undocumented" ]; then
		t_ok "docs/vireo.1 renders cleanly and covers every command"
	else
		t_fail "docs/vireo.1 renders cleanly and covers every command" "warnings: $warn" \
			"undocumented:$undocumented"
	fi
fi

t_done
