#!/bin/bash
# Every user-facing message has a zh_CN translation, and it is used at run time.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
src=$VIREO_TEST_SRCDIR

# Extract the messages afresh from the sources, so a new _() string without a
# translation fails here rather than slipping through a stale .pot.
(cd "$src" && xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$T_TMP/fresh.pot" \
	--files-from=po/POTFILES.in) 2>"$T_TMP/xgettext.err"
missing=$(cd "$src" && grep -l '_("' $(git ls-files '*.c' 2>/dev/null || find . -name '*.c') 2>/dev/null |
	sed 's|^\./||' | grep -vxFf po/POTFILES.in | grep -v '^tests/')
[ -z "$missing" ] && t_ok "po/POTFILES.in lists every file with messages" \
	|| t_fail "po/POTFILES.in lists every file with messages" "missing: $missing"

msgmerge -q "$src/po/zh_CN.po" "$T_TMP/fresh.pot" -o "$T_TMP/merged.po" 2>&1
stats=$(LC_ALL=C msgfmt --check --statistics -o "$T_TMP/zh_CN.mo" "$T_TMP/merged.po" 2>&1); rc=$?
if [ $rc -eq 0 ] && ! grep -qE "untranslated|fuzzy" <<<"$stats"; then
	t_ok "po/zh_CN.po translates every message ($stats)"
else
	t_fail "po/zh_CN.po translates every message" "$stats"
fi

# Run time: the CLI speaks Chinese with the catalog and a zh_CN locale.
if locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
	mkdir -p "$T_TMP/locale/zh_CN/LC_MESSAGES"
	cp "$T_TMP/zh_CN.mo" "$T_TMP/locale/zh_CN/LC_MESSAGES/vireo.mo"
	out=$(VIREO_LOCALEDIR=$T_TMP/locale LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 \
		"$VIREO_TEST_BUILDDIR/client/vireo" frobnicate 2>&1)
	tr() { TEXTDOMAINDIR=$T_TMP/locale LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 gettext -e -d vireo "$1"; }
	# shellcheck disable=SC2059
	want=$(printf "$(tr 'error: %s\n')" "$(printf "$(tr "unknown command: '%s'")" frobnicate)")
	if [ "$out" = "$want" ] && [ "$out" != "error: unknown command: 'frobnicate'" ]; then
		t_ok "vireo prints the zh_CN message under a zh_CN locale ($out)"
	else
		t_fail "vireo prints the zh_CN message under a zh_CN locale" "got:  $out" "want: $want"
	fi
else
	t_skip "vireo prints the zh_CN message under a zh_CN locale" "no zh_CN.UTF-8 locale on this host (locale-gen zh_CN.UTF-8)"
fi
t_done
