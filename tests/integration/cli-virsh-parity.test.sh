#!/bin/bash
# virsh parity: the same command sequence against `virsh -c test:///default` and against
# vireod (test guest as the VM), then the SHAPES of the outputs compared: the list table's
# header, column alignment and separator width; dominfo's fields, their order and the
# value column; domstate's words; dommemstat's key order; virsh's messages word for
# word; the error line and exit status. Values (ids, UUIDs, times, sizes) differ.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
trap 'cli_daemon_stop; t_cleanup' EXIT
COMPARE=$T_TMP/compare.py

# The sequence; "@" is the domain. setmem halves the memory (the domain has 64 MiB).
SEQ=("define $T_TMP/parity.xml" "list --all" "start @" "list" "list --name" "list --uuid"
	"list --all --name --uuid" "dominfo @" "domstate @" "domstate @ --reason" "suspend @"
	"domstate @ --reason" "list --state-paused" "resume @" "domstate @ --reason"
	"setmem @ 32768" "dommemstat @" "dominfo nosuch" "domid @" "destroy @"
	"domstate @ --reason" "list --inactive" "autostart @" "autostart @ --disable"
	"undefine @" "version")
NAME_OF_CHECK=("define" "list table" "start" "list table" "list --name" "list --uuid"
	"list --uuid --name" "dominfo" "domstate" "domstate --reason" "suspend"
	"domstate --reason (paused)" "list --state-paused" "resume" "domstate --reason (resumed)"
	"setmem" "dommemstat" "the error for a missing domain" "domid" "destroy"
	"domstate --reason (destroyed)" "list --inactive" "autostart" "autostart --disable"
	"undefine" "version")

names=()
for n in "${NAME_OF_CHECK[@]}"; do names+=("virsh parity: $n"); done
command -v virsh >/dev/null ||
	vmm_skip_all "virsh is not installed (Debian: libvirt-clients)" "${names[@]}"
why=$(cli_guest_problem) && vmm_skip_all "$why" "${names[@]}"
if ! virsh -c test:///default version >/dev/null 2>&1; then
	vmm_skip_all "virsh cannot open test:///default: $(virsh -c test:///default version 2>&1)" \
		"${names[@]}"
fi
if ! cli_daemon_start "$T_TMP/root" >"$T_TMP/start.out"; then
	out=$(cat "$T_TMP/start.out")
	for n in "${names[@]}"; do t_fail "$n" "$out"; done
	t_done; exit
fi
cli_domain_xml parity >"$T_TMP/parity.xml"

# virsh: one process (test:///default keeps state only for its lifetime), markers between.
virsh_cmds=""
for c in "${SEQ[@]}"; do
	virsh_cmds+="echo \"@@@ $c\"; ${c//@/parity}; "
done
virsh_cmds+="echo \"@@@ end\""
virsh -c test:///default "$virsh_cmds" >"$T_TMP/virsh.out" 2>&1
# virsh's status for a sequence is its last command's: replay up to each command.
: >"$T_TMP/virsh.rc"
for i in "${!SEQ[@]}"; do
	pre=""
	for ((j = 0; j < i; j++)); do pre+="${SEQ[j]//@/parity}; "; done
	virsh -c test:///default "${pre}${SEQ[i]//@/parity}" >/dev/null 2>&1
	echo $? >>"$T_TMP/virsh.rc"
done

# vireo: one process per command, the same markers; the same blank line rules apply.
: >"$T_TMP/vireo.out"; : >"$T_TMP/vireo.rc"
for c in "${SEQ[@]}"; do
	echo "@@@ $c" >>"$T_TMP/vireo.out"
	if [[ $c == dommemstat* ]]; then
		# the balloon reports after the guest took the new target: wait for it
		t_wait_for 15 eval '[ "$(v dommemstat parity 2>/dev/null | sed -n "s/^actual //p")" = 32768 ]'
	fi
	# shellcheck disable=SC2086
	v ${c//@/parity} >>"$T_TMP/vireo.out" 2>&1
	echo $? >>"$T_TMP/vireo.rc"
done
echo "@@@ end" >>"$T_TMP/vireo.out"

cat >"$COMPARE" <<'EOF'
import re, sys

def split(path):
    """The output of each command between the markers."""
    parts, cur, name = [], None, None
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line.startswith("@@@ "):
            if cur is not None:
                parts.append(cur)
            cur, name = [], line[4:]
            continue
        if cur is not None:
            cur.append(line)
    return parts

def body(lines):
    """Lines up to the trailing blank line virsh prints after a command."""
    out = list(lines)
    while out and out[-1] == "":
        out.pop()
    return out

def table(lines):
    lines = body(lines)
    if len(lines) < 2:
        return ("no table", lines)
    head, dashes, rows = lines[0], lines[1], lines[2:]
    cols = head.split()
    starts = [m.start() for m in re.finditer(r"\S+", head)]
    widths = []
    for i, c in enumerate(cols):
        w = len(c)
        for r in rows:
            cell = r[starts[i]:starts[i + 1] - 3 if i + 1 < len(starts) else None].strip()
            w = max(w, len(cell))
        widths.append(w)
    ok_dashes = set(dashes) == {"-"} and len(dashes) == sum(w + 3 for w in widths)
    ok_rows = all(re.fullmatch(r" (\d+|-) +\S+ +(running|paused|shut off)", r) and
                  r[starts[1] - 1] == " " and r[starts[1]] != " " and r[starts[2]] != " "
                  for r in rows)
    return ("table", cols, starts[:1], ok_dashes, ok_rows)

def dominfo(lines):
    labels, cols = [], set()
    for l in body(lines):
        m = re.match(r"([^:]+): *", l)
        if not m:
            return ("bad line", l)
        labels.append(m.group(1))
        cols.add(len(m.group(0)))
    # Security label: only with a security driver that labels (the test driver does,
    # QEMU without SELinux/AppArmor does not); CPU time: only once the domain ran.
    labels = [x for x in labels if x != "Security label"]
    return ("dominfo", labels, sorted(cols))

def memstat(lines):
    keys = []
    for l in body(lines):
        k, _, v = l.partition(" ")
        if not v.isdigit():
            return ("bad line", l)
        keys.append(k)
    return keys

def version(lines):
    return [l.partition(":")[0] for l in body(lines)][:4]

def lines_match(lines, pattern):
    return all(re.fullmatch(pattern, l) for l in body(lines)) and len(body(lines)) > 0

V, O = split(sys.argv[1]), split(sys.argv[2])
vrc = open(sys.argv[3]).read().split()
orc = open(sys.argv[4]).read().split()
seq = sys.argv[5:]
uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
for i, cmd in enumerate(seq):
    v, o = V[i], O[i]
    verb = cmd.split()[0]
    if verb == "list" and "--name" in cmd and "--uuid" in cmd:
        ok = lines_match(v, uuid + r" \S+") and lines_match(o, uuid + r" \S+")
        why = "uuid name lines"
    elif verb == "list" and "--name" in cmd:
        ok = lines_match(v, r"[\w.-]+") and lines_match(o, r"[\w.-]+")
        why = "name lines"
    elif verb == "list" and "--uuid" in cmd:
        ok = lines_match(v, uuid) and lines_match(o, uuid)
        why = "uuid lines"
    elif verb == "list":
        ok = table(v) == table(o) and table(o)[3] and table(o)[4]
        why = "table %s vs %s" % (table(v), table(o))
    elif verb == "dominfo" and "nosuch" not in cmd:
        ok = dominfo(v) == dominfo(o)
        why = "%s vs %s" % (dominfo(v), dominfo(o))
    elif verb == "dommemstat":
        mv, mo = memstat(v), memstat(o)
        ok = "actual" in mo and all(k in mv for k in mo) and \
            [k for k in mv if k in mo] == mo
        why = "keys %s vs %s" % (mv, mo)
    elif verb == "version":
        ok = version(v) == version(o)
        why = "%s vs %s" % (version(v), version(o))
    elif verb in ("domid",):
        ok = lines_match(v, r"\d+|-") and lines_match(o, r"\d+|-")
        why = "an id"
    else:
        # messages, states, errors: word for word
        ok = body(v) == body(o)
        why = "%r vs %r" % (body(v), body(o))
    ok = ok and vrc[i] == orc[i] and (v[-1:] == [""]) == (o[-1:] == [""])
    print("%s\t%s\tvirsh rc %s, vireo rc %s; %s" % ("ok" if ok else "FAIL", cmd, vrc[i], orc[i], why))
EOF

python3 "$COMPARE" "$T_TMP/virsh.out" "$T_TMP/vireo.out" "$T_TMP/virsh.rc" "$T_TMP/vireo.rc" \
	"${SEQ[@]}" >"$T_TMP/result" 2>&1
if [ "$(grep -cE '^(ok|FAIL)'$'\t' "$T_TMP/result")" -ne "${#SEQ[@]}" ]; then
	t_fail "virsh parity: the comparison runs" "$(cat "$T_TMP/result")" \
		"--- virsh:" "$(cat "$T_TMP/virsh.out")" "--- vireo:" "$(cat "$T_TMP/vireo.out")"
	t_done; exit
fi
i=0
while IFS=$'\t' read -r status cmd detail; do
	if [ "$status" = ok ]; then
		t_ok "${names[i]}"
	else
		t_fail "${names[i]}" "$cmd: $detail" "--- virsh:" "$(cat "$T_TMP/virsh.out")" \
			"--- vireo:" "$(cat "$T_TMP/vireo.out")"
	fi
	i=$((i + 1))
done <"$T_TMP/result"
t_done
