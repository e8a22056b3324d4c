#!/bin/sh
# Regenerate the build system: autopoint (gettext), aclocal, autoconf, automake.
set -e
cd "$(dirname "$0")"
autoreconf --force --install --verbose
