#!/bin/bash
# Install what Vireo needs to build and test on Debian 12 (run as root).
# Cheap when everything is there already: apt runs only if a package is missing.
set -euo pipefail

BUILD_PKGS="autoconf automake autopoint gettext pkg-config make gcc libc6-dev
	libxml2-dev libjson-c-dev libsystemd-dev libseccomp-dev libcmocka-dev liburing-dev
	libmnl-dev libslirp-dev"
TEST_PKGS="libxml2-utils locales procps xz-utils util-linux coreutils python3 qemu-system-x86 qemu-system-data busybox-static cpio kmod
	iproute2 nftables dnsmasq-base"

missing=()
for p in $BUILD_PKGS $TEST_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The zh_CN locale lets the i18n test check the translations at run time.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
	if [ -f /etc/locale.gen ]; then
		grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen ||
			echo 'zh_CN.UTF-8 UTF-8' >>/etc/locale.gen
		locale-gen >/dev/null
	fi
fi
