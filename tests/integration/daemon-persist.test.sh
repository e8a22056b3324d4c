#!/bin/bash
# Definitions survive a daemon killed at any moment: SIGKILL vireod while a client
# defines and redefines domains as fast as it can, 50 times at random points. Every
# definition the daemon acknowledged is on disk afterwards, whole, at that version or
# a later one; no file is ever truncated; the next daemon loads every file.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
ROUNDS=${DAEMON_PERSIST_ROUNDS:-50}
GUEST=/nonexistent/guest.elf	# never started: only the definitions matter
VMM=/nonexistent/vireo-vmm

CHECKS=(
	"every acknowledged definition is on disk at that version or later ($ROUNDS kills)"
	"no definition file is ever truncated or unparsable"
	"each restarted daemon lists exactly the definitions on disk"
	"the daemon removes the temporaries a killed define left behind"
)

dom_xml NAME >"$T_TMP/template.xml"
cat >"$T_TMP/definer.py" <<'EOF'
import sys, uuid
sys.path.insert(0, sys.argv[1])
import rpc
sock, template, acks = sys.argv[2], open(sys.argv[3]).read(), open(sys.argv[4], "a")
gen = int(sys.argv[5])
c = rpc.Client(sock)
while True:
    name = "p%d" % (gen % 5)
    u = str(uuid.UUID(int=gen % 5 + 1))
    xml = template.replace("<name>NAME</name>",
                           "<name>%s</name><uuid>%s</uuid><title>gen-%d</title>" % (name, u, gen))
    c.call("domain.define", {"xml": xml})
    acks.write("%s %d\n" % (name, gen))
    acks.flush()
    gen += 1
EOF

# the newest acknowledged generation of each name
last_acks() {
	awk '{ last[$1] = $2 } END { for (n in last) print n, last[n] }' "$T_TMP/acks"
}

bad_ack="" bad_file="" bad_list="" temps_seen=0 gen=0
: >"$T_TMP/acks"
for round in $(seq 1 "$ROUNDS"); do
	dmn_start "$R"
	# the daemon's view must be the files on disk
	want=$(ls "$R/etc/vireo/domains" | grep -c '^p.\.xml$')
	got=$(rpc "$R" domain.list '{"all": true}' | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["domains"]))')
	[ "$want" = "$got" ] || bad_list="$bad_list round $round: $want files, $got listed;"
	ls -a "$R/etc/vireo/domains" | grep -q '\.tmp-' && temps_seen=$((temps_seen + 1))
	"$PYTHON" "$T_TMP/definer.py" "$VIREO_TEST_SRCDIR/tests/lib" "$R/run/vireo/vireod.sock" \
		"$T_TMP/template.xml" "$T_TMP/acks" "$gen" 2>/dev/null &
	cpid=$!
	sleep "0.0$((RANDOM % 90 + 10))"
	dmn_kill9
	kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
	gen=$((gen + 1000))
	for f in "$R"/etc/vireo/domains/p*.xml; do
		[ -e "$f" ] || continue
		xmllint --noout "$f" 2>/dev/null && grep -q '</domain>' "$f" ||
			bad_file="$bad_file round $round: $(basename "$f") ($(wc -c <"$f") bytes);"
	done
	while read -r name g; do
		f=$R/etc/vireo/domains/$name.xml
		have=$(sed -n 's|.*<title>gen-\([0-9]*\)</title>.*|\1|p' "$f" 2>/dev/null)
		if [ -z "$have" ] || [ "$have" -lt "$g" ]; then
			bad_ack="$bad_ack round $round: $name acknowledged at $g, disk has '${have}';"
		fi
	done < <(last_acks)
done
nacks=$(wc -l <"$T_TMP/acks")

if [ -z "$bad_ack" ] && [ "$nacks" -ge 20 ]; then
	t_ok "${CHECKS[0]} ($nacks defines acknowledged)"
else
	t_fail "${CHECKS[0]}" "acknowledged: $nacks" "$bad_ack"
fi
if [ -z "$bad_file" ]; then t_ok "${CHECKS[1]}"; else t_fail "${CHECKS[1]}" "$bad_file"; fi
if [ -z "$bad_list" ]; then t_ok "${CHECKS[2]}"; else t_fail "${CHECKS[2]}" "$bad_list" "$(grep -v "^20..-" "$R.log" | head -40)"; fi

# A temporary as a killed define leaves it: gone once a daemon has started.
cp "$R/etc/vireo/domains/p0.xml" "$R/etc/vireo/domains/.p0.xml.tmp-AbC123"
head -c 100 "$R/etc/vireo/domains/p1.xml" >"$R/etc/vireo/domains/.p1.xml.tmp-XyZ789"
dmn_start "$R"
left=$(ls -a "$R/etc/vireo/domains" | grep -c '\.tmp-')
n=$(rpc "$R" domain.list '{"all": true}' | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["domains"]))')
dmn_stop
if [ "$left" = 0 ] && [ "$n" = 5 ]; then
	t_ok "${CHECKS[3]} (temporaries seen after kills: $temps_seen)"
else
	t_fail "${CHECKS[3]}" "left: $left listed: $n"
fi
t_done
