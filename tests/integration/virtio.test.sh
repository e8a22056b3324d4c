#!/bin/bash
# virtio-blk, virtio-console and virtio-rng as the test guest's drivers see them:
# under vireo-vmm and under QEMU (KVM and TCG) the same TAP results; the disk holds
# what the guest wrote; a hostile guest's malformed rings set NEEDS_RESET and the
# worker lives on and still answers QMP.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir
VMM=$VIREO_TEST_BUILDDIR/qemu-wrap/vireo-vmm
GUEST=$VIREO_TEST_BUILDDIR/tests/guest/guest.elf
QEMU=${QEMU:-qemu-system-x86_64}

if why=$(vmm_host_problem); then
	vmm_skip_all "$why" "virtio guest checks under vireo-vmm" "disk holds the guest's write" \
		"hostile rings: NEEDS_RESET, worker alive" \
		"QMP stop/cont during virtio-blk I/O: the guest's benchmark completes, worker alive" \
		"same TAP under QEMU/KVM" "same TAP under QEMU/TCG"
fi

# The image the guest expects: sector N (0-7) is "vireo-blk-sector-N" repeated.
make_image() {
	python3 - "$1" <<'PY'
import sys
img = bytearray(64 * 512)
for n in range(8):
    s = ("vireo-blk-sector-%d" % n).encode()
    img[n * 512:(n + 1) * 512] = bytes(s[i % len(s)] for i in range(512))
open(sys.argv[1], "wb").write(img)
PY
}
sector8_written() {
	python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
s = b"vireo-blk-written"
sys.exit(0 if d[8 * 512:9 * 512] == bytes(s[i % len(s)] for i in range(512)) else 1)
PY
}
tap_results() { grep -E '^(1\.\.|ok |not ok )' "$1"; }

# --- vireo-vmm ---
make_image "$T_TMP/vmm.img"
timeout 60 "$VMM" -m 128 -nodefaults -display none -serial stdio \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "test console-echo" \
	-drive "file=$T_TMP/vmm.img,format=raw,if=none,id=d0" \
	-device virtio-blk-pci,drive=d0,serial=VIREO0001 -device virtio-rng-pci \
	-device virtio-serial-pci -device virtconsole,chardev=c0 \
	-chardev "socket,id=c0,path=$T_TMP/con.sock,server=on,wait=off" \
	>"$T_TMP/vmm.out" 2>"$T_TMP/vmm.err" &
vpid=$!; t_track_pid $vpid
# The console: read the guest's hello, answer with a line it echoes back.
python3 - "$T_TMP/con.sock" >"$T_TMP/con.out" 2>&1 <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.05)
s.settimeout(20)
# The guest may have said hello before we connected (output without a client is
# dropped, as in QEMU): just send the line; it waits in the worker until the guest
# posts receive buffers.
s.sendall(b"hello-from-host\n")
buf = b""
try:
    while b"echo:hello-from-host" not in buf:
        data = s.recv(4096)
        if not data:
            break
        buf += data
except OSError as e:
    print("console client:", e)
print(buf.decode(errors="replace"))
PY
wait $vpid; rc=$?
if [ $rc -eq 1 ] && ! grep -q '^not ok' "$T_TMP/vmm.out" && grep -q '^ok 19 ' "$T_TMP/vmm.out" &&
	grep -q 'ok 18 - virtio-console: echo' "$T_TMP/vmm.out" && ! grep -q '^ok 18 .*SKIP' "$T_TMP/vmm.out" &&
	grep -q 'echo:hello-from-host' "$T_TMP/con.out"; then
	t_ok "virtio guest checks under vireo-vmm (blk, console echo, rng)"
else
	t_fail "virtio guest checks under vireo-vmm (blk, console echo, rng)" "exit $rc" \
		"$(cat "$T_TMP/vmm.out" "$T_TMP/vmm.err" "$T_TMP/con.out")"
fi
sector8_written "$T_TMP/vmm.img" && t_ok "disk holds the guest's write (sector 8)" \
	|| t_fail "disk holds the guest's write (sector 8)" "sector 8 differs"

# --- a hostile guest ---
make_image "$T_TMP/hostile.img"
timeout 60 "$VMM" -m 128 -nodefaults -display none -serial stdio \
	-qmp "unix:$T_TMP/h.qmp,server=on,wait=off" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "test hostile" \
	-drive "file=$T_TMP/hostile.img,format=raw,if=none,id=d0" \
	-device virtio-blk-pci,drive=d0,serial=HOSTILE1 \
	>"$T_TMP/h.out" 2>"$T_TMP/h.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^ok 15 - virtio-blk: malformed ring sets NEEDS_RESET' "$T_TMP/h.out" &&
	grep -q '^ok 16 ' "$T_TMP/h.out" && grep -q 'needs a reset by the guest driver' "$T_TMP/h.err"; then
	t_ok "hostile rings: NEEDS_RESET, logged, the device works again after reset, worker alive"
else
	t_fail "hostile rings: NEEDS_RESET, logged, the device works again after reset, worker alive" \
		"exit $rc" "$(cat "$T_TMP/h.out" "$T_TMP/h.err")"
fi

# --- QMP stop/cont while the queue workers have requests in flight ---
# The guest's blkbench mode keeps the queue busy (QD1 and QD32 reads, sequential reads
# and writes); stopping parks the workers with what is in flight completed, cont lets
# them go on. The run must finish with every test done, and the worker must stay up.
truncate -s 128M "$T_TMP/bench.img"
timeout 90 "$VMM" -m 256 -nodefaults -display none -serial stdio \
	-qmp "unix:$T_TMP/sc.qmp,server=on,wait=off" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append blkbench \
	-drive "file=$T_TMP/bench.img,format=raw,if=none,id=d0" \
	-device virtio-blk-pci,drive=d0,num-queues=2 >"$T_TMP/sc.out" 2>"$T_TMP/sc.err" &
scpid=$!; t_track_pid $scpid
steps=()
for _ in 1 2 3 4 5 6 7 8; do steps+=(stop sleep:0.1 query-status cont sleep:0.3); done
python3 "$QMP_PY" --timeout 30 "$T_TMP/sc.qmp" "${steps[@]}" >"$T_TMP/sc.qmp.out" 2>&1
qrc=$?
wait $scpid; rc=$?
stops=$(grep -c '^return query-status .*"paused"' "$T_TMP/sc.qmp.out")
# The guest's phases are timed (about 9 s in all): on a loaded host it may finish before
# the eighth pause, and the QMP script then finds the worker gone. At least 3 pauses
# while it ran, and all 8 unless the guest was done first.
if [ $rc -eq 1 ] && [ "$stops" -ge 3 ] && { [ $qrc -eq 0 ] || [ "$stops" -lt 8 ]; } &&
	grep -q '^# blkbench: done' "$T_TMP/sc.out"; then
	t_ok "QMP stop/cont during virtio-blk I/O: the guest's benchmark completes, worker alive"
else
	t_fail "QMP stop/cont during virtio-blk I/O: the guest's benchmark completes, worker alive" \
		"exit $rc, qmp.py $qrc, paused seen $stops times" \
		"$(tail -n 20 "$T_TMP/sc.out" "$T_TMP/sc.err" "$T_TMP/sc.qmp.out")"
fi

# --- QEMU, same guest, same devices ---
qemu_run() {	# accel image out
	timeout 120 "$QEMU" -accel "$1" -cpu qemu64 -bios /usr/share/qemu/qboot.rom -m 128 \
		-nodefaults -display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$GUEST" -append test -drive "file=$2,format=raw,if=none,id=d0" \
		-device virtio-blk-pci,drive=d0,serial=VIREO0001,disable-legacy=on \
		-device virtio-rng-pci,disable-legacy=on -device virtio-serial-pci,disable-legacy=on \
		-device virtconsole,chardev=c0 -chardev "file,id=c0,path=$T_TMP/qcon.out" \
		>"$3" 2>&1
}
# vireo-vmm again without console-echo, for a like-for-like comparison.
make_image "$T_TMP/v2.img"
timeout 60 "$VMM" -m 128 -nodefaults -display none -serial stdio \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append test \
	-drive "file=$T_TMP/v2.img,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,serial=VIREO0001 \
	-device virtio-rng-pci -device virtio-serial-pci -device virtconsole,chardev=c0 \
	-chardev "file,id=c0,path=$T_TMP/vcon.out" >"$T_TMP/v2.out" 2>&1
tap_results "$T_TMP/v2.out" >"$T_TMP/v2.tap"
for accel in kvm tcg; do
	name="same virtio TAP results under QEMU/${accel^^} as under vireo-vmm"
	if ! command -v "$QEMU" >/dev/null || [ ! -f /usr/share/qemu/qboot.rom ]; then
		t_skip "$name" "qemu-system-x86_64 or qboot.rom not installed"
		continue
	fi
	make_image "$T_TMP/q-$accel.img"
	qemu_run "$accel" "$T_TMP/q-$accel.img" "$T_TMP/q-$accel.out"
	tap_results "$T_TMP/q-$accel.out" >"$T_TMP/q-$accel.tap"
	if diff -u "$T_TMP/v2.tap" "$T_TMP/q-$accel.tap" >"$T_TMP/diff-$accel" &&
		grep -q '^1\.\.19' "$T_TMP/v2.tap"; then
		t_ok "$name"
	else
		t_fail "$name" "$(cat "$T_TMP/diff-$accel")"
	fi
done
t_done
