#!/usr/bin/env python3
"""Vireo against libvirt's test corpus: parse, format, QEMU argv (TAP output).

  compat.py domain  --vireo PATH --corpus DIR --subset FILE [options]
  compat.py network --vireo PATH --corpus DIR [--netxml-format PATH] [options]

domain: every case of DIR/MANIFEST.tsv (libvirt's qemuxml2argvdata and
qemuxml2xmloutdata) is run through the built client:
  - a case listed in the subset file (out-of-subset.tsv) must be rejected by
    `vireo validate` with "unsupported:" in the message, exit status 1, no crash;
  - an `error` case must be rejected (exit status 1); ours and libvirt's message
    are printed for the record;
  - every other case must validate; `vireo domxml-format` must be a fixpoint
    (formatting its own output gives the same text); the output is compared with
    qemuxml2xmloutdata, both sides normalised, after dropping from libvirt's side
    the elements outside Vireo's model; `vireo domxml-to-native qemu-argv` is
    compared with the .args file on the options that carry meaning (-m, -smp,
    -kernel/-initrd/-append, -netdev, NIC/disk/serial/console/balloon/rng/panic
    devices with the chardevs, rng objects and drives they use).
  An `argv+error` case (args with the latest QEMU, an error without one of its
  capabilities) is an in-subset case: Vireo has no capability sets; libvirt's
  .err is printed for the record.
  The run fails if an in-subset case does not parse, a fixpoint check fails, a
  rejection check fails, or fewer than 90% of the round-trip or argv comparisons
  are equal. Below that, each mismatch is a TAP "# TODO" line: visible, not fatal.
  Values the test environment or generation decides are not compared: tap and
  socket fd numbers (their count is), /dev/fdset paths and the append flags that
  go with them, uuids and MACs the input leaves out, -smp dies=1.

network: each networkxml2xmlin case formatted by netxml-format must equal
networkxml2xmlout (normalised; the uuid is compared only if the input has one),
and be a fixpoint; `vireo validate` (when --vireo is built) accepts the input.

Options: --schema-dir DIR sets VIREO_SCHEMA_DIR for the client (default: the
environment's, else schemas/ of this source tree); --domain-header FILE is
lib/conf/domain.h (the model's element list); --timeout S per command (60).
Standard library only.
"""

import argparse
import csv
import difflib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

THRESHOLD = 0.90
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))

# The elements of Vireo's domain model (lib/conf/domain.h), as paths from the root.
# Libvirt's expected output keeps these, any element Vireo itself writes for some
# case, and everything under <metadata>; everything else is dropped before the
# comparison (seclabel, alias, video, graphics, controller <driver>, ...).
MODEL_PATHS = """
domain/name domain/uuid domain/title domain/description domain/metadata
domain/maxMemory domain/memory domain/currentMemory domain/vcpu
domain/os domain/os/type domain/os/kernel domain/os/initrd domain/os/cmdline
domain/os/boot domain/os/bootmenu
domain/features domain/features/acpi domain/features/apic domain/features/pae
domain/features/vmport
domain/cpu domain/cpu/model domain/cpu/topology
domain/clock domain/clock/timer
domain/on_poweroff domain/on_reboot domain/on_crash
domain/pm domain/pm/suspend-to-mem domain/pm/suspend-to-disk
domain/devices domain/devices/emulator
domain/devices/disk domain/devices/disk/driver domain/devices/disk/source
domain/devices/disk/target domain/devices/disk/readonly domain/devices/disk/shareable
domain/devices/disk/transient domain/devices/disk/serial domain/devices/disk/boot
domain/devices/disk/address
domain/devices/controller domain/devices/controller/address
domain/devices/interface domain/devices/interface/mac domain/devices/interface/source
domain/devices/interface/target domain/devices/interface/model
domain/devices/interface/driver domain/devices/interface/driver/host
domain/devices/interface/driver/guest domain/devices/interface/mtu
domain/devices/interface/link domain/devices/interface/boot
domain/devices/interface/address
domain/devices/serial domain/devices/serial/source domain/devices/serial/target
domain/devices/serial/target/model domain/devices/serial/log
domain/devices/console domain/devices/console/source domain/devices/console/target
domain/devices/console/log
domain/devices/input domain/devices/input/address
domain/devices/audio
domain/devices/memballoon domain/devices/memballoon/stats
domain/devices/memballoon/address
domain/devices/rng domain/devices/rng/backend domain/devices/rng/rate
domain/devices/rng/address
domain/devices/panic domain/devices/panic/address
""".split()
KEEP_SUBTREES = ("domain/metadata",)

# Options of QEMU that take no value (everything else takes the next word).
NOARG_OPTS = {
    "-S", "-no-user-config", "-nodefaults", "-no-shutdown", "-no-acpi", "-usb",
    "-no-reboot", "-enable-kvm", "-nographic", "-no-hpet", "-snapshot", "-daemonize",
    "-full-screen", "-enable-fips", "-s", "-no-fd-bootchk", "-no-kvm-pit-reinjection",
    "-nodefconfig", "-no-kvm",
}
# The implied first key of each option's key=value form.
IMPLIED_KEY = {
    "-netdev": "type", "-device": "driver", "-chardev": "backend", "-object": "qom-type",
    "-m": "size", "-smp": "cpus",
}
FD_KEYS = {"fd", "fds", "vhostfd", "vhostfds"}
WILDCARD = "*"          # any value, but the key must be there
OPTIONAL = "*?"         # any value, or no key at all
# -smp keys whose value 1 is QEMU's default (libvirt leaves some out).
SMP_DEFAULT_ONE = ("dies", "clusters", "books", "drawers")


# ---- TAP -----------------------------------------------------------------------

class Tap:
    def __init__(self, out=sys.stdout):
        self.n = 0
        self.failed = 0
        self.out = out

    def line(self, ok, name, details=(), directive=None):
        self.n += 1
        if not ok and not (directive or "").startswith("TODO"):
            self.failed += 1
        # A '#' in the description would start a directive.
        text = "%s %d - %s" % ("ok" if ok else "not ok", self.n,
                               one_line(name).replace("#", "\\#"))
        if directive:
            text += " # " + one_line(directive)
        print(text, file=self.out)
        for d in details:
            for part in str(d).splitlines() or [""]:
                print("#   " + part, file=self.out)

    def ok(self, name, details=()):
        self.line(True, name, details)

    def fail(self, name, details=()):
        self.line(False, name, details)

    def skip(self, name, reason):
        self.line(True, name, (), "SKIP " + reason)

    def todo(self, name, reason, details=()):
        self.line(False, name, details, "TODO " + reason)

    def comment(self, text):
        for part in text.splitlines():
            print("# " + part, file=self.out)

    def done(self):
        print("1..%d" % self.n, file=self.out)
        self.out.flush()


def one_line(s, limit=300):
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[:limit - 3] + "..."


# ---- running the client ----------------------------------------------------------

class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    @property
    def crashed(self):
        """Why this run counts as a crash (signal, sanitizer report, timeout), or None."""
        if self.rc is None:
            return "timed out"
        if self.rc < 0:
            return "killed by signal %d" % -self.rc
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                       "UndefinedBehaviorSanitizer"):
            if marker in self.err:
                return "sanitizer report (%s)" % marker
        return None

    def describe(self):
        return "%s: exit %s%s" % (" ".join(os.path.basename(a) if i == 0 else a
                                           for i, a in enumerate(self.argv)),
                                  self.rc, (", " + self.crashed) if self.crashed else "")

    def message(self):
        return self.err.strip()


class Runner:
    def __init__(self, program, env, timeout):
        self.program, self.env, self.timeout = program, env, timeout

    def run(self, *args):
        argv = [self.program] + list(args)
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=self.env, timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            return Result(argv, None, (e.stdout or b"").decode("utf-8", "replace"),
                          (e.stderr or b"").decode("utf-8", "replace"))
        except OSError as e:
            return Result(argv, 127, "", "cannot run %s: %s" % (self.program, e))
        return Result(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))


def client_env(schema_dir):
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    if schema_dir is not None:
        env["VIREO_SCHEMA_DIR"] = schema_dir
    elif "VIREO_SCHEMA_DIR" not in env and os.path.isdir(os.path.join(SRCDIR, "schemas")):
        env["VIREO_SCHEMA_DIR"] = os.path.join(SRCDIR, "schemas")
    return env


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def first_existing(*paths):
    for p in paths:
        if os.path.isfile(p):
            return p
    return None


# ---- XML normalisation and comparison -------------------------------------------

def element_paths(root, prefix=""):
    """Every element path ("domain/devices/disk") in a tree."""
    path = prefix + root.tag
    paths = {path}
    for child in root:
        paths |= element_paths(child, path + "/")
    return paths


def prune(elem, path, allowed):
    """Drop the children of elem whose path is not allowed (in place)."""
    if any(path == k or path.startswith(k + "/") for k in KEEP_SUBTREES):
        return
    for child in list(elem):
        cpath = path + "/" + child.tag
        if cpath in allowed:
            prune(child, cpath, allowed)
        else:
            elem.remove(child)


def text_of(elem):
    return " ".join((elem.text or "").split())


def label(elem, index):
    return "%s[%d]" % (elem.tag, index)


def first_xml_diff(exp, got, path):
    """The first difference between two normalised elements, or None."""
    if exp.tag != got.tag:
        return "%s: expected <%s>, got <%s>" % (path, exp.tag, got.tag)
    for key in sorted(set(exp.attrib) | set(got.attrib)):
        e, g = exp.attrib.get(key), got.attrib.get(key)
        if e == g or WILDCARD in (e, g) and None not in (e, g):
            continue
        if e is None:
            return "%s: unexpected attribute %s='%s'" % (path, key, g)
        if g is None:
            return "%s: missing attribute %s='%s'" % (path, key, e)
        return "%s: attribute %s: expected '%s', got '%s'" % (path, key, e, g)
    if len(exp) == 0 and len(got) == 0 and text_of(exp) != text_of(got):
        return "%s: text: expected '%s', got '%s'" % (path, text_of(exp), text_of(got))
    counts = {}
    for i, (ce, cg) in enumerate(zip(exp, got)):
        counts[ce.tag] = counts.get(ce.tag, 0) + 1
        if ce.tag != cg.tag:
            return "%s: child %d: expected <%s>, got <%s>" % (path, i + 1, ce.tag, cg.tag)
        diff = first_xml_diff(ce, cg, path + "/" + label(ce, counts[ce.tag]))
        if diff:
            return diff
    if len(exp) > len(got):
        return "%s: missing <%s> (child %d)" % (path, exp[len(got)].tag, len(got) + 1)
    if len(got) > len(exp):
        return "%s: unexpected <%s> (child %d)" % (path, got[len(exp)].tag, len(exp) + 1)
    return None


def parse_xml(text):
    return ET.fromstring(text.encode("utf-8"))


def wildcard_generated(root, input_root):
    """Values our side generates where the input left them out (uuid, MACs): compared
    only for presence."""
    if input_root.find("uuid") is None:
        for u in root.findall("uuid"):
            u.text = WILDCARD
    in_ifaces = input_root.findall("devices/interface")
    for i, iface in enumerate(root.findall("devices/interface")):
        if i < len(in_ifaces) and in_ifaces[i].find("mac") is None:
            for mac in iface.findall("mac"):
                mac.set("address", WILDCARD)


# ---- QEMU argv parsing ------------------------------------------------------------

def split_args(text):
    """The words of a libvirt .args file (or our output): no env assignments, no
    emulator; continuation lines joined, shell quoting removed."""
    words = shlex.split(re.sub(r"\\\n", " ", text))
    i = 0
    while i < len(words) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i]):
        i += 1
    return words[i + 1:]


def option_pairs(words):
    pairs, i = [], 0
    while i < len(words):
        opt = words[i]
        if opt in NOARG_OPTS or not opt.startswith("-"):
            pairs.append((opt, None))
            i += 1
            continue
        if i + 1 < len(words) and (not words[i + 1].startswith("-") or opt == "-append"):
            pairs.append((opt, words[i + 1]))
            i += 2
        else:
            pairs.append((opt, None))
            i += 1
    return pairs


def split_kv(s):
    """QEMU's key=value list: ',' separates, ',,' is a literal comma."""
    items, cur, i = [], [], 0
    while i < len(s):
        if s[i] == ",":
            if s[i + 1:i + 2] == ",":
                cur.append(",")
                i += 2
                continue
            items.append("".join(cur))
            cur = []
        else:
            cur.append(s[i])
        i += 1
    items.append("".join(cur))
    return items


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = prefix + k
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v, sort_keys=True)
        else:
            out[key] = v
    return out


def parse_option_value(opt, value):
    """A -device/-netdev/... value, JSON or key=value, as a flat dict of raw values."""
    if value is None:
        return {}
    if value.startswith("{"):
        try:
            return flatten(json.loads(value))
        except ValueError:
            pass
    out = {}
    for n, item in enumerate(split_kv(value)):
        if "=" in item:
            k, v = item.split("=", 1)
        elif n == 0 and opt in IMPLIED_KEY:
            k, v = IMPLIED_KEY[opt], item
        else:
            k, v = item, "on"
        out[k] = v
    return out


def norm_value(key, v):
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else str(v)
    s = "" if v is None else str(v)
    if key == "addr" or key.endswith(".addr"):
        return s.lower()
    if key in FD_KEYS:
        return "fd x%d" % len(s.split(":"))
    if s.startswith("/dev/fdset/"):
        return WILDCARD        # a file libvirt opened itself: no path to compare
    low = s.lower()
    if low in ("on", "yes", "true"):
        return "on"
    if low in ("off", "no", "false"):
        return "off"
    if re.fullmatch(r"-?[0-9]+", s):
        return str(int(s))
    return s


def norm_dict(d):
    return {k: norm_value(k, v) for k, v in d.items()}


def norm_chardev(d):
    """Files and listening sockets libvirt opens itself and passes as fds (its .args
    show /dev/fdset/N or fd=1729 and append=on) match the path the XML names."""
    d = norm_dict(d)
    if d.get("backend") == "socket" and "fd" in d:
        del d["fd"]
        d["path"] = WILDCARD
    for path_key, append_key in (("path", "append"), ("logfile", "logappend")):
        if d.get(path_key) == WILDCARD:
            d[append_key] = OPTIONAL
    return d


def norm_smp(d):
    d = norm_dict(d)
    return {k: v for k, v in d.items() if not (k in SMP_DEFAULT_ONE and v == "1")}


SIZE_UNITS = {"": 1 << 20, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def norm_mem(d):
    """-m: sizes in bytes (a bare number is MiB)."""
    out = {}
    for k, v in d.items():
        m = re.fullmatch(r"([0-9]+)([bkmgtBKMGT]?)", str(v))
        out[k] = str(int(m.group(1)) * SIZE_UNITS[m.group(2).lower()]) if m and \
            k in ("size", "maxmem") else norm_value(k, v)
    return out


def in_scope_device(dev):
    drv = str(dev.get("driver", ""))
    return ("netdev" in dev or "drive" in dev or
            drv in ("isa-serial", "pci-serial", "virtconsole", "virtserialconsole",
                    "ide-cd", "scsi-cd", "floppy") or
            drv.startswith(("virtio-balloon", "virtio-rng", "pvpanic")))


# -drive cache= as the blockdev cache flags (direct, no-flush) QEMU maps it to.
DRIVE_CACHE = {"none": ("on", "off"), "writeback": ("off", "off"),
               "writethrough": ("off", "off"), "directsync": ("on", "off"),
               "unsafe": ("off", "on")}


def drive_info(name, blockdevs, drives):
    """What a device's drive= refers to, from -drive or the -blockdev format node and
    its storage node: file, format, read-only, cache flags, discard, detect-zeroes
    (QEMU's defaults filled in, so both syntaxes compare alike)."""
    info = {"drive.read-only": "off", "drive.cache.direct": "off",
            "drive.cache.no-flush": "off", "drive.discard": "ignore",
            "drive.detect-zeroes": "off"}
    if name in drives:
        d = drives[name]
        direct, noflush = DRIVE_CACHE.get(d.get("cache"), ("off", "off"))
        info.update({"drive.file": d.get("file", ""), "drive.format": d.get("format", ""),
                     "drive.cache.direct": direct, "drive.cache.no-flush": noflush})
        for key, ours in (("readonly", "read-only"), ("discard", "discard"),
                          ("detect-zeroes", "detect-zeroes")):
            if key in d:
                info["drive." + ours] = d[key]
        return info
    fmt = blockdevs.get(name)
    if fmt is None:
        return {"drive": name}
    info["drive.format"] = fmt.get("driver", "")
    for key in ("read-only", "cache.direct", "cache.no-flush", "discard", "detect-zeroes"):
        if key in fmt:
            info["drive." + key] = fmt[key]
    storage = blockdevs.get(fmt.get("file")) if isinstance(fmt.get("file"), str) else None
    if storage is not None:
        info["drive.file"] = storage.get("filename", storage.get("path", ""))
    else:
        info["drive.file"] = fmt.get("file.filename", fmt.get("filename", ""))
    return info


def argv_items(text, no_mac=()):
    """The options of an argv that carry meaning, as {key: {prop: normalised value}}.
    no_mac: indexes of NICs whose MAC was generated (compared for presence only)."""
    items, netdevs, chardevs, objects, blockdevs, drives, devices = {}, {}, {}, {}, {}, {}, []
    for opt, val in option_pairs(split_args(text)):
        d = parse_option_value(opt, val)
        if opt == "-m":
            items["-m"] = norm_mem(d)
        elif opt == "-smp":
            items["-smp"] = norm_smp(d)
        elif opt in ("-kernel", "-initrd", "-append"):
            items[opt] = {"value": val or ""}
        elif opt == "-netdev":
            netdevs[d.get("id", "?")] = d
        elif opt == "-chardev":
            chardevs[d.get("id", "?")] = d
        elif opt == "-object":
            objects[d.get("id", "?")] = d
        elif opt == "-blockdev":
            blockdevs[d.get("node-name", "?")] = d
        elif opt == "-drive":
            drives[d.get("id", "?")] = d
        elif opt == "-device":
            devices.append(d)
    for nid, d in netdevs.items():
        items["netdev " + nid] = norm_dict(d)
        if "chardev" in d and d["chardev"] in chardevs:
            items["chardev " + d["chardev"]] = norm_chardev(chardevs[d["chardev"]])
    seen, nic = {}, 0
    for dev in devices:
        if not in_scope_device(dev):
            continue
        dev = dict(dev)
        if "drive" in dev:
            dev.update(drive_info(dev.pop("drive"), blockdevs, drives))
        if dev.get("chardev") in chardevs:
            items["chardev " + dev["chardev"]] = norm_chardev(chardevs[dev["chardev"]])
        if dev.get("rng") in objects:
            obj = objects[dev["rng"]]
            items["object " + dev["rng"]] = norm_dict(obj)
            if obj.get("chardev") in chardevs:
                items["chardev " + obj["chardev"]] = norm_chardev(chardevs[obj["chardev"]])
        dev = norm_dict(dev)
        if "netdev" in dev:
            if nic in no_mac and "mac" in dev:
                dev["mac"] = WILDCARD
            nic += 1
        key = dev.get("id")
        if not key:
            seen[dev.get("driver")] = seen.get(dev.get("driver"), 0) + 1
            key = "%s#%d" % (dev.get("driver"), seen[dev.get("driver")])
        items["device " + key] = dev
    return items


def argv_diffs(exp, got):
    """Every difference between two argv_items() results, first one first."""
    diffs = []
    for key in sorted(set(exp) | set(got)):
        if key not in got:
            diffs.append("missing %s" % key)
            continue
        if key not in exp:
            diffs.append("unexpected %s" % key)
            continue
        e, g = exp[key], got[key]
        for prop in sorted(set(e) | set(g)):
            ev, gv = e.get(prop), g.get(prop)
            if ev == gv or OPTIONAL in (ev, gv) or \
                    (WILDCARD in (ev, gv) and None not in (ev, gv)):
                continue
            if ev is None:
                diffs.append("%s: unexpected %s=%s" % (key, prop, gv))
            elif gv is None:
                diffs.append("%s: missing %s=%s" % (key, prop, ev))
            else:
                diffs.append("%s: %s: expected %s, got %s" % (key, prop, ev, gv))
    return diffs


# ---- the corpus ----------------------------------------------------------------

class Case:
    def __init__(self, name, kind, corpus):
        a = os.path.join(corpus, "qemuxml2argvdata")
        o = os.path.join(corpus, "qemuxml2xmloutdata")
        self.name, self.kind = name, kind
        self.xml = os.path.join(a, name + ".xml")
        self.args = first_existing(os.path.join(a, name + ".x86_64-latest.args"),
                                   os.path.join(a, name + ".args"))
        self.err = first_existing(os.path.join(a, name + ".x86_64-latest.err"),
                                  os.path.join(a, name + ".err"))
        self.expected = first_existing(os.path.join(o, name + ".x86_64-latest.xml"),
                                       os.path.join(o, name + ".xml"))


def load_cases(corpus):
    """Domain cases of MANIFEST.tsv (or of qemuxml2argvdata when there is none)."""
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    rows = []
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("kind") != "network-xml2xml":
                    rows.append((row["case"], row.get("kind", "argv")))
    else:
        d = os.path.join(corpus, "qemuxml2argvdata")
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".xml"):
                name = fn[:-4]
                kind = "error" if first_existing(os.path.join(d, name + ".err")) and not \
                    first_existing(os.path.join(d, name + ".args")) else "argv"
                rows.append((name, kind))
    return [Case(n, k, corpus) for n, k in rows if os.path.isfile(
        os.path.join(corpus, "qemuxml2argvdata", n + ".xml"))]


def load_subset(path):
    """out-of-subset.tsv: {case: (element, why)}."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            out[parts[0]] = (parts[1] if len(parts) > 1 else "",
                             parts[2] if len(parts) > 2 else "")
    return out


# ---- domain ---------------------------------------------------------------------

class Outcome:
    """What happened to one in-subset case; TAP lines are printed once all are known."""
    def __init__(self, case):
        self.case = case
        self.parse = None          # Result of validate
        self.ours = None           # formatted XML text, or None
        self.fixpoint = None       # (ok, details)
        self.rt = None             # (equal, first diff, details) or None (no expected)
        self.argv = None           # (equal, first diff, details) or None (no .args)


def check_rejected(tap, case, res, need_unsupported, libvirt_err=None):
    """A case the client must refuse: exit status 1, no crash, maybe 'unsupported:'."""
    record = ["ours: " + (res.message() or "(no message)")]
    if libvirt_err:
        record.append("libvirt: " + libvirt_err)
    if res.crashed or res.rc != 1:
        tap.fail("%s is rejected" % case.name, [res.describe()] + record)
    elif need_unsupported and "unsupported:" not in res.err:
        tap.fail("%s is rejected as unsupported" % case.name,
                 ["the message lacks 'unsupported:'"] + record)
    else:
        tap.ok("%s is rejected%s" % (case.name, " as unsupported" if need_unsupported
                                     else ""), record)


def run_in_subset(runner, case, tmpdir):
    """validate, domxml-format twice (fixpoint), domxml-to-native."""
    o = Outcome(case)
    o.parse = runner.run("validate", case.xml)
    if o.parse.rc != 0 or o.parse.crashed:
        return o
    o.ours, o.fixpoint = check_fixpoint(runner, case, tmpdir)
    if case.args:
        o.argv = compare_argv(runner, case)
    return o


def check_fixpoint(runner, case, tmpdir):
    """(our formatted XML or None, (ok, details)): formatting our output again must
    give the same text."""
    fmt = runner.run("domxml-format", case.xml)
    if fmt.rc != 0 or fmt.crashed:
        return None, (False, [fmt.describe(), fmt.message()])
    again_path = os.path.join(tmpdir, case.name + ".formatted.xml")
    with open(again_path, "w", encoding="utf-8") as f:
        f.write(fmt.out)
    again = runner.run("domxml-format", again_path)
    if again.rc != 0 or again.crashed:
        return fmt.out, (False, ["formatting our own output failed", again.describe(),
                                 again.message()])
    if again.out != fmt.out:
        return fmt.out, (False, ["formatting our own output changes it:"] +
                         text_diff(fmt.out, again.out, ("once", "twice")))
    return fmt.out, (True, [])


def text_diff(a, b, names=("first", "second"), limit=18):
    """A short unified diff of two texts, as detail lines."""
    return list(difflib.unified_diff(a.splitlines(), b.splitlines(), names[0], names[1],
                                     lineterm="", n=1))[:limit]


def input_missing_macs(case):
    try:
        root = ET.parse(case.xml).getroot()
    except ET.ParseError:
        return set()
    return {i for i, iface in enumerate(root.findall("devices/interface"))
            if iface.find("mac") is None}


def compare_argv(runner, case):
    res = runner.run("domxml-to-native", "qemu-argv", case.xml)
    if res.rc != 0 or res.crashed:
        return (False, "domxml-to-native failed: " + one_line(res.message(), 150),
                [res.describe(), res.message()])
    try:
        exp = argv_items(read_text(case.args), input_missing_macs(case))
        got = argv_items(res.out, input_missing_macs(case))
    except ValueError as e:   # shlex: unbalanced quotes
        return (False, "cannot split the argv: %s" % e, [])
    diffs = argv_diffs(exp, got)
    if not diffs:
        return (True, "", [])
    return (False, "differs: " + diffs[0], diffs[:12])


def compare_roundtrip(o, allowed):
    case = o.case
    try:
        exp = parse_xml(read_text(case.expected))
        inp = parse_xml(read_text(case.xml))
    except ET.ParseError as e:
        return (False, "corpus file does not parse: %s" % e, [])
    try:
        got = parse_xml(o.ours)
    except ET.ParseError as e:
        return (False, "our output is not XML: %s" % e, [])
    prune(exp, exp.tag, allowed)
    wildcard_generated(exp, inp)
    wildcard_generated(got, inp)
    diff = first_xml_diff(exp, got, exp.tag)
    if diff is None:
        return (True, "", [])
    return (False, "differs: " + diff, [diff])


# Device structs of domain.h whose name is the element's (struct vdom_disk: <disk>).
DEVICE_ELEMENTS = {"disk", "controller", "interface", "serial", "console", "input",
                   "memballoon", "rng", "panic", "audio", "watchdog", "hostdev", "channel",
                   "filesystem", "smartcard", "redirdev", "tpm", "vsock", "shmem", "iommu"}


def model_paths(header):
    """MODEL_PATHS, plus the devices that domain.h has a `struct vdom_X` for (so a
    device the lead adds to the model is compared even before it is written)."""
    paths = set(MODEL_PATHS)
    if header and os.path.isfile(header):
        for name in re.findall(r"struct vdom_([a-z]+) \{", read_text(header)):
            if name in DEVICE_ELEMENTS:
                paths.add("domain/devices/" + name)
    return paths


def domain_mode(args, tap):
    corpus, subset = args.corpus, load_subset(args.subset)
    runner = Runner(args.vireo, client_env(args.schema_dir), args.timeout)
    cases = load_cases(corpus)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="vireo-compat.") as tmpdir:
        for case in cases:
            if case.name not in subset and case.kind != "error":
                outcomes.append(run_in_subset(runner, case, tmpdir))
        # Rejections are printed as they run; in-subset results once all are known.
        for case in cases:
            if case.name in subset:
                res = runner.run("validate", case.xml)
                check_rejected(tap, case, res, True)
            elif case.kind == "error":
                res = runner.run("validate", case.xml)
                err = read_text(case.err).strip() if case.err else None
                check_rejected(tap, case, res, False, err)
    allowed = model_paths(args.domain_header)
    for o in outcomes:
        if o.ours:
            try:
                allowed |= element_paths(parse_xml(o.ours))
            except ET.ParseError:
                pass
    for o in outcomes:
        if o.ours and o.case.expected:
            o.rt = compare_roundtrip(o, allowed)
    report_domain(tap, outcomes)
    return tap.failed == 0


def rate(equal, total):
    return 1.0 if total == 0 else equal / total


def report_domain(tap, outcomes):
    with_exp = [o for o in outcomes if o.case.expected]
    with_args = [o for o in outcomes if o.case.args]
    parsed = [o for o in outcomes if o.parse.rc == 0 and not o.parse.crashed]
    rt_equal = [o for o in with_exp if o.rt and o.rt[0]]
    argv_equal = [o for o in with_args if o.argv and o.argv[0]]
    rt_ok = rate(len(rt_equal), len(with_exp)) >= THRESHOLD
    argv_ok = rate(len(argv_equal), len(with_args)) >= THRESHOLD
    for o in outcomes:
        report_case(tap, o, rt_ok, argv_ok)
    tap.comment("summary: %d cases in subset, %d parsed, %d round-trip equal (of %d with "
                "expected output), %d argv equal (of %d with .args)"
                % (len(outcomes), len(parsed), len(rt_equal), len(with_exp),
                   len(argv_equal), len(with_args)))
    if not rt_ok:
        tap.comment("FAIL: round-trip equal below %d%%" % (THRESHOLD * 100))
    if not argv_ok:
        tap.comment("FAIL: argv equal below %d%%" % (THRESHOLD * 100))


def report_case(tap, o, rt_ok, argv_ok):
    name = o.case.name
    if o.parse.rc != 0 or o.parse.crashed:
        tap.fail("parse %s" % name, [o.parse.describe(), o.parse.message()])
        for what, present in (("round-trip", o.case.expected), ("argv", o.case.args)):
            if present:
                tap.skip("%s %s" % (what, name), "the case did not parse")
        return
    details = []
    if o.case.kind == "argv+error" and o.case.err:
        # libvirt refuses this without a QEMU capability Vireo always has.
        details.append("libvirt without the capability: " + read_text(o.case.err).strip())
    tap.ok("parse %s" % name, details)
    if o.fixpoint[0]:
        tap.ok("fixpoint %s" % name)
    else:
        tap.fail("fixpoint %s" % name, o.fixpoint[1])
    for what, result, passing in (("round-trip", o.rt, rt_ok), ("argv", o.argv, argv_ok)):
        if result is None:
            if what == "round-trip" and o.case.expected:
                tap.skip("%s %s" % (what, name), "domxml-format gave no output")
            continue
        equal, first, details = result
        if equal:
            tap.ok("%s %s" % (what, name))
        elif passing:
            tap.todo("%s %s" % (what, name), first, details)
        else:
            tap.fail("%s %s" % (what, name), details or [first])


# ---- network --------------------------------------------------------------------

def network_mode(args, tap):
    fmt = args.netxml_format or default_netxml_format(args.vireo)
    runner = Runner(fmt, client_env(args.schema_dir), args.timeout)
    vireo = Runner(args.vireo, client_env(args.schema_dir), args.timeout) \
        if args.vireo and os.access(args.vireo, os.X_OK) else None
    indir = os.path.join(args.corpus, "networkxml2xmlin")
    outdir = os.path.join(args.corpus, "networkxml2xmlout")
    names = sorted(f[:-4] for f in os.listdir(indir) if f.endswith(".xml"))
    equal = 0
    with tempfile.TemporaryDirectory(prefix="vireo-compat.") as tmpdir:
        for name in names:
            equal += network_case(tap, runner, vireo, name, indir, outdir, tmpdir)
    tap.comment("summary: %d network cases, %d equal" % (len(names), equal))
    return tap.failed == 0


def default_netxml_format(vireo):
    build = os.path.dirname(os.path.dirname(os.path.abspath(vireo or ".")))
    return os.path.join(build, "tests", "helpers", "netxml-format")


def network_case(tap, runner, vireo, name, indir, outdir, tmpdir):
    src = os.path.join(indir, name + ".xml")
    expected = os.path.join(outdir, name + ".xml")
    if vireo:
        res = vireo.run("validate", src)
        if res.rc == 0 and not res.crashed:
            tap.ok("validate network %s" % name)
        else:
            tap.fail("validate network %s" % name, [res.describe(), res.message()])
    res = runner.run(src)
    if res.rc != 0 or res.crashed:
        tap.fail("network %s" % name, [res.describe(), res.message()])
        return 0
    again_path = os.path.join(tmpdir, name + ".formatted.xml")
    with open(again_path, "w", encoding="utf-8") as f:
        f.write(res.out)
    again = runner.run(again_path)
    if again.rc != 0 or again.out != res.out:
        tap.fail("fixpoint network %s" % name,
                 [again.describe(), again.message()] + text_diff(res.out, again.out))
    else:
        tap.ok("fixpoint network %s" % name)
    if not os.path.isfile(expected):
        tap.skip("network %s" % name, "no networkxml2xmlout file")
        return 0
    try:
        exp, got, inp = (parse_xml(read_text(expected)), parse_xml(res.out),
                         parse_xml(read_text(src)))
    except ET.ParseError as e:
        tap.fail("network %s" % name, ["XML does not parse: %s" % e])
        return 0
    if inp.find("uuid") is None:
        for tree in (exp, got):
            for u in tree.findall("uuid"):
                u.text = WILDCARD
    diff = first_xml_diff(exp, got, exp.tag)
    if diff:
        tap.fail("network %s" % name,
                 [diff] + text_diff(read_text(expected), res.out, ("libvirt", "ours")))
        return 0
    tap.ok("network %s" % name)
    return 1


# ---- main -----------------------------------------------------------------------

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("domain", "network"))
    p.add_argument("--vireo", help="the built client (client/vireo)")
    p.add_argument("--corpus", required=True, help="the libvirt-xml corpus directory")
    p.add_argument("--subset", help="out-of-subset.tsv (domain)")
    p.add_argument("--netxml-format", help="tests/helpers/netxml-format (network)")
    p.add_argument("--schema-dir", help="VIREO_SCHEMA_DIR for the client")
    p.add_argument("--domain-header", default=os.path.join(SRCDIR, "lib/conf/domain.h"))
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    if args.mode == "domain" and (not args.vireo or not args.subset):
        p.error("domain needs --vireo and --subset")
    if args.mode == "network" and not (args.netxml_format or args.vireo):
        p.error("network needs --netxml-format or --vireo")
    tap = Tap()
    need = "qemuxml2argvdata" if args.mode == "domain" else "networkxml2xmlin"
    if not os.path.isdir(os.path.join(args.corpus, need)):
        tap.skip("libvirt %s corpus" % args.mode, "no %s in %s" % (need, args.corpus))
        tap.done()
        return 0
    ok = domain_mode(args, tap) if args.mode == "domain" else network_mode(args, tap)
    tap.done()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
