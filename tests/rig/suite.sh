#!/bin/bash
# The rig as a test suite: every scenario in tests/rig/scenarios, one TAP stream, then
# "rig: N passed, N failed, N skipped"; exit status 0 when nothing failed. Scenarios
# are skipped (never passed) when this host cannot run the rig (no qemu-system-x86_64,
# no packages to download); see tests/rig/README.md.
#
#   tests/rig/suite.sh            all scenarios
#   tests/rig/suite.sh NAME...    some of them
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	set -- $(cd "$here/scenarios" && ls *.sh | sed 's/\.sh$//')
fi
exec bash "$here/run" "$@"
