#!/bin/bash
# The main job: install dependencies, build everything, install it into a local
# prefix, and show what Vireo does today.
#
# What it shows grows with the project: today the daemon skeleton (state under
# --root, readiness, clean stop), and the CLI reading libvirt domain XML
# (validate, domxml-format, domxml-to-native); the worker and daemon issues turn this
# into defining and booting a real VM with the bundled test guest.
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
prefix=$top/_inst

[ "$(id -u)" = 0 ] && bash scripts/deps.sh

echo "== building"
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
# Its own build tree: the prefix (and so the catalog directory) is compiled in.
mkdir -p build-demo
[ -f build-demo/Makefile ] ||
	(cd build-demo && ../configure --prefix="$prefix" --enable-werror >/dev/null)
make -C build-demo -j"$(nproc)" >/dev/null
make -C build-demo install >/dev/null

echo "== installed under $prefix"
(cd "$prefix" && find . -type f | sort | sed 's|^\./|  |')

echo "== versions"
"$prefix/sbin/vireod" --version
"$prefix/bin/vireo" version

echo "== vireod in a scratch root (exits by itself after 2 s of idleness)"
root=$(mktemp -d "${TMPDIR:-/tmp}/vireo-demo.XXXXXX")
trap 'rm -rf "$root"' EXIT
"$prefix/sbin/vireod" --verbose --root "$root" --timeout 2 2>&1
echo "== what it set up under $root"
(cd "$root" && find . -mindepth 1 | sort | sed 's|^\./|  |')

echo "== domain XML: validate, format as libvirt would, and the worker command line"
export VIREO_SCHEMA_DIR=$prefix/share/vireo/schemas
"$prefix/bin/vireo" validate examples/demo-domain.xml
"$prefix/bin/vireo" domxml-format examples/demo-domain.xml
"$prefix/bin/vireo" domxml-to-native qemu-argv examples/demo-domain.xml
echo "== the same domain for stock QEMU, and what vireo-vmm refuses"
"$prefix/bin/vireo" domxml-to-native --worker qemu --shell qemu-argv examples/demo-domain.xml
sed "s|<serial type='pty'/>|<disk type='file' device='cdrom'><target dev='hdc'/></disk>|" \
	examples/demo-domain.xml >"$root/ide.xml"
"$prefix/bin/vireo" domxml-to-native qemu-argv "$root/ide.xml" || true

echo "== the CLI in Chinese (LANGUAGE=zh_CN)"
LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 "$prefix/bin/vireo" version || true
LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 "$prefix/bin/vireo" domxml-to-native qemu-argv "$root/ide.xml" || true
