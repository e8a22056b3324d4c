#!/bin/bash
# Run every tests/integration/*.test.sh (or the ones named) and total their TAP.
#
# Environment: VIREO_TEST_BUILDDIR (the build tree), VIREO_TEST_SRCDIR (sources).
# Prints each test's TAP lines prefixed with its file name, then the count of
# "not ok ... # TODO" lines (known differences, neither passed nor failed), then
#   integration: N passed, N failed, N skipped
# and exits non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export VIREO_TEST_SRCDIR=${VIREO_TEST_SRCDIR:-$(cd "$here/../.." && pwd)}
export VIREO_TEST_BUILDDIR=${VIREO_TEST_BUILDDIR:-$VIREO_TEST_SRCDIR/build}
per_test_timeout=${VIREO_TEST_TIMEOUT:-300}

pass=0 fail=0 skip=0 todo=0
if [ $# -gt 0 ]; then files=("$@"); else files=("$here"/*.test.sh); fi
for f in "${files[@]}"; do
	name=$(basename "$f" .test.sh)
	out=$(timeout --kill-after=10 "$per_test_timeout" bash "$f" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed "s/^/[$name] /"
	p=$(printf '%s\n' "$out" | grep -cE '^ok [0-9]+' )
	s=$(printf '%s\n' "$out" | grep -cE '^ok [0-9]+ .*# SKIP')
	# "not ok ... # TODO" is a known, listed difference (TAP: not a failure); it
	# is reported apart, like automake's XFAIL, never counted as passed.
	n=$(printf '%s\n' "$out" | grep -E '^not ok [0-9]+' | grep -vc '# TODO')
	t=$(printf '%s\n' "$out" | grep -E '^not ok [0-9]+' | grep -c '# TODO')
	pass=$((pass + p - s)); skip=$((skip + s)); fail=$((fail + n)); todo=$((todo + t))
	if [ $rc -ne 0 ] && [ "$n" -eq 0 ]; then
		# Died without reporting a failure (crash, timeout): that is a failure.
		echo "[$name] not ok - $name exited with status $rc (124: timed out)"
		fail=$((fail + 1))
	fi
done
[ $todo -gt 0 ] && echo "integration: $todo known differences marked TODO (listed above)"
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
