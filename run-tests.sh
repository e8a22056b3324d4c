#!/bin/bash
# The whole test suite: installs dependencies, builds, runs every suite, and ends
# with one line "N passed, N failed, N skipped". Exit status 0 only if nothing failed.
#
#   bash run-tests.sh                         everything
#   bash run-tests.sh unit|asan|integration|rig|distcheck   one suite
#   bash run-tests.sh integration NAME...     some integration tests (tests/integration/NAME.test.sh)
set -uo pipefail
cd "$(dirname "$0")"
top=$PWD
suite=${1:-all}
[ $# -gt 0 ] && shift

if [ "$(id -u)" = 0 ]; then
	bash scripts/deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi

total_pass=0 total_fail=0 total_skip=0
count() {	# suite pass fail skip
	echo "== $1: $2 passed, $3 failed, $4 skipped"
	total_pass=$((total_pass + $2)); total_fail=$((total_fail + $3)); total_skip=$((total_skip + $4))
}

# configure (once) and build one tree: build DIR [configure args]
build_tree() {
	local dir=$1; shift
	[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] ||
		./autogen.sh >/dev/null 2>&1 || return 1
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1) ||
			{ tail -30 "$dir/configure.out"; return 1; }
	fi
	make -C "$dir" -j"$(nproc)" >"$dir/build.out" 2>&1 ||
		{ tail -40 "$dir/build.out"; return 1; }
}

# make check in a tree, counted from automake's test-suite.log
run_unit() {	# name dir [configure args]
	local name=$1 dir=$2; shift 2
	if ! build_tree "$dir" "$@"; then count "$name" 0 1 0; return; fi
	rm -f "$dir/test-suite.log"
	make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1
	if [ ! -f "$dir/test-suite.log" ]; then
		tail -40 "$dir/check.out"; count "$name" 0 1 0; return
	fi
	local log=$dir/test-suite.log
	num() { awk -v k="# $1:" '$0 ~ "^"k {print $NF}' "$log"; }
	local p f e x s
	p=$(num PASS); f=$(num FAIL); e=$(num ERROR); x=$(num XPASS); s=$(num SKIP)
	[ $((f + e + x)) -gt 0 ] && sed -n '/^[A-Z]*: /p;/^# /p;/not ok/,+6p' "$log" | head -80
	count "$name" "$p" $((f + e + x)) "$s"
}

run_integration() {
	if ! build_tree build; then count integration 0 1 0; return; fi
	make -C build -j"$(nproc)" test-helpers >/dev/null 2>&1
	local files=()
	for n in "$@"; do files+=("$top/tests/integration/$n.test.sh"); done
	local out
	out=$(VIREO_TEST_BUILDDIR=$top/build VIREO_TEST_SRCDIR=$top \
		bash tests/integration/run.sh "${files[@]}" 2>&1)
	# Show failures and TODOs with their detail lines, and each file's summary.
	printf '%s\n' "$out" | awk '
		/^\[[^]]*\] not ok/ { show = 1; print; next }
		/^\[[^]]*\] #/ { if (show || $0 ~ /summary|corpus:/) print; next }
		{ show = 0 }
		/^integration:/ { print }'
	printf '%s\n' "$out" | grep -E ' # SKIP' | sed 's/^/skipped: /' || true
	local line
	line=$(printf '%s\n' "$out" | tail -1)
	if [[ $line =~ ^integration:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		count integration "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
	else
		count integration 0 1 0
	fi
}

# The hardware-virtualization rig (tests/rig): real Linux guests on KVM inside QEMU TCG.
run_rig() {
	if ! build_tree build; then count rig 0 1 0; return; fi
	local out line
	out=$(VIREO_TEST_BUILDDIR=$top/build VIREO_TEST_SRCDIR=$top \
		bash tests/rig/run smoke vhost-present vmm-linux virtio-linux balloon-linux net-linux \
			net-vhost-linux 2>&1)
	printf '%s\n' "$out" | grep -E '^(not ok|ok .*# SKIP|#)' | sed 's/^/[rig] /' | head -60
	line=$(printf '%s\n' "$out" | tail -1)
	if [[ $line =~ ^rig:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		count rig "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
	else
		printf '%s\n' "$out" | tail -20
		count rig 0 1 0
	fi
}

run_distcheck() {
	if ! build_tree build; then count distcheck 0 1 0; return; fi
	if make -C build distcheck >build/distcheck.out 2>&1; then
		count distcheck 1 0 0
	else
		tail -40 build/distcheck.out; count distcheck 0 1 0
	fi
}

case $suite in
all)
	run_unit unit build
	run_unit unit-asan build-asan --enable-sanitizers
	run_integration
	run_rig
	run_distcheck
	;;
rig) run_rig ;;
unit) run_unit unit build ;;
asan) run_unit unit-asan build-asan --enable-sanitizers ;;
integration) run_integration "$@" ;;
distcheck) run_distcheck ;;
*) echo "unknown suite '$suite' (all, unit, asan, integration, rig, distcheck)" >&2; exit 2 ;;
esac

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
