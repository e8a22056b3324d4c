#!/usr/bin/env python3
"""Merge po/vireo.pot into po/zh_CN.po, filling msgstrs from a JSON {msgid: msgstr} file.

Usage: scripts/po-fill.py po/vireo.pot po/zh_CN.po translations.json
Existing translations are kept; entries still missing are listed as MISSING.
"""
import sys, re, json, ast

def parse_po(path):
    entries = []  # list of dict(comments, msgid, msgstr)
    cur = None; field = None
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#'):
            if cur is None or field == 'msgstr':
                if cur is not None: entries.append(cur)
                cur = {'comments': [], 'msgid': '', 'msgstr': ''}; field = None
            cur['comments'].append(line); continue
        m = re.match(r'^(msgid|msgstr) (".*")$', line)
        if m:
            if m.group(1) == 'msgid' and (cur is None or field == 'msgstr'):
                if cur is not None: entries.append(cur)
                cur = {'comments': [], 'msgid': '', 'msgstr': ''}
            field = m.group(1); cur[field] = ast.literal_eval(m.group(2)); continue
        if line.startswith('"'):
            cur[field] += ast.literal_eval(line); continue
    if cur is not None: entries.append(cur)
    return entries

def esc(s):
    out = s.replace('\\', '\\\\').replace('"', '\\"').replace('\t', '\\t')
    parts = out.split('\n')
    if len(parts) == 1: return '"%s"' % out
    lines = [p + '\\n' for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    return '""\n' + '\n'.join('"%s"' % l for l in lines)

pot, po_out, tr_file = sys.argv[1:4]
tr = json.load(open(tr_file, encoding='utf-8'))
old = {}
try:
    for e in parse_po(po_out):
        if e['msgid'] and e['msgstr'] and not any('fuzzy' in c for c in e['comments']):
            old[e['msgid']] = e['msgstr']
except FileNotFoundError:
    pass
header = '''# Chinese (simplified) translations for vireo.
# Copyright (C) 2026 The Vireo authors
# This file is distributed under the same license as the vireo package.
msgid ""
msgstr ""
"Project-Id-Version: vireo\\n"
"Report-Msgid-Bugs-To: \\n"
"PO-Revision-Date: 2026-11-27 00:00+0000\\n"
"Last-Translator: The Vireo authors\\n"
"Language-Team: Chinese (simplified)\\n"
"Language: zh_CN\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
'''
out = [header]
missing = []
for e in parse_po(pot):
    if not e['msgid']: continue
    s = tr.get(e['msgid']) or old.get(e['msgid'])
    if not s: missing.append(e['msgid']); s = ''
    com = [c for c in e['comments'] if not c.startswith('#,') or 'c-format' in c]
    out.append('\n'.join(com) + ('\n' if com else '') + 'msgid ' + esc(e['msgid']) + '\nmsgstr ' + esc(s) + '\n')
open(po_out, 'w', encoding='utf-8').write('\n'.join(out))
for m in missing: print('MISSING:', repr(m))
