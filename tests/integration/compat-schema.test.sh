#!/bin/bash
# Vireo's own RelaxNG schemas (schemas/domain.rng, schemas/network.rng) against
# libvirt's, on libvirt's test corpus (shared/corpus, beside the clone):
#   - ours compile;
#   - ours never accept a corpus document that libvirt's schema rejects;
#   - every corpus case inside Vireo's subset (not listed in
#     tests/compat/out-of-subset.tsv) that libvirt's schema accepts, ours accepts;
#   - every case listed as out of the subset, ours rejects;
#   - every network document validates against ours, and libvirt's agrees;
#   - hand-written documents using every element of our grammar are accepted by
#     libvirt's schema too, and elements outside the subset are rejected.
# Needs xmllint; VIREO_SHARED_DIR overrides where the shared folder is.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"

ours_dom=$VIREO_TEST_SRCDIR/schemas/domain.rng
ours_net=$VIREO_TEST_SRCDIR/schemas/network.rng
oos_tsv=$VIREO_TEST_SRCDIR/tests/compat/out-of-subset.tsv

shared=${VIREO_SHARED_DIR:-$VIREO_TEST_SRCDIR/../shared}
if [ -d "$shared/libvirt-xml" ] && [ ! -d "$shared/corpus" ]; then
	corpus=$shared	# VIREO_SHARED_DIR may name the corpus folder itself
else
	corpus=$shared/corpus
fi
xml=$corpus/libvirt-xml
lv_dom=$corpus/libvirt-schemas/domain.rng
lv_net=$corpus/libvirt-schemas/network.rng

CORPUS_CHECKS=("ours accepts only what libvirt's accepts"
	"in-subset cases libvirt accepts, ours accepts"
	"out-of-subset cases are rejected by ours"
	"network XML: every corpus document validates, and libvirt's agrees"
	"hand-written documents: all of ours is inside libvirt's, the rest is rejected")
skip_checks() {
	local why=$1 n; shift
	for n in "$@"; do t_skip "$n" "$why"; done
}
if ! command -v xmllint >/dev/null 2>&1; then
	skip_checks "xmllint is not installed" "our schemas compile" "${CORPUS_CHECKS[@]}"
	t_done
	exit $?
fi
t_tmpdir

# validate SCHEMA FILE... : prints the files the schema accepts, one a line.
# One xmllint run for all files; it reports "FILE validates" on stderr.
validate() {
	local schema=$1; shift
	xmllint --noout --relaxng "$schema" "$@" 2>&1 >/dev/null |
		sed -n 's/ validates$//p'
}

# ---- 1. our schemas compile (and accept a minimal document) ----------------
cat >"$T_TMP/min-domain.xml" <<'EOF'
<domain type='kvm'>
  <name>min</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>hvm</type>
  </os>
</domain>
EOF
cat >"$T_TMP/min-network.xml" <<'EOF'
<network>
  <name>min</name>
</network>
EOF
errs=""
for pair in "$ours_dom:$T_TMP/min-domain.xml" "$ours_net:$T_TMP/min-network.xml"; do
	schema=${pair%%:*} doc=${pair#*:}
	if [ ! -f "$schema" ]; then
		errs="$errs$schema: missing"$'\n'
		continue
	fi
	out=$(xmllint --noout --relaxng "$schema" "$doc" 2>&1); rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "$doc validates" ]; then
		errs="$errs$schema (rc=$rc):"$'\n'"$out"$'\n'
	fi
done
if [ -z "$errs" ]; then
	t_ok "our schemas compile"
else
	t_fail "our schemas compile" "$errs"
	skip_checks "our schemas do not compile" "${CORPUS_CHECKS[@]}"
	t_done
	exit $?
fi

if [ ! -d "$xml/qemuxml2argvdata" ] || [ ! -f "$lv_dom" ] || [ ! -f "$lv_net" ]; then
	skip_checks "no libvirt corpus at $corpus (set VIREO_SHARED_DIR)" "${CORPUS_CHECKS[@]}"
	t_done
	exit $?
fi

# ---- the domain corpus ------------------------------------------------------
# case name of a corpus file: qemuxml2argvdata/<case>.xml,
# qemuxml2xmloutdata/<case>.xml or <case>.x86_64-latest.xml
case_of() {
	local b=${1##*/}
	b=${b%.xml}
	echo "${b%.x86_64-latest}"
}

dom_files=("$xml"/qemuxml2argvdata/*.xml "$xml"/qemuxml2xmloutdata/*.xml)
declare -A ours_ok lv_ok oos file_case
while read -r f; do [ -n "$f" ] && ours_ok[$f]=1; done < <(validate "$ours_dom" "${dom_files[@]}")
while read -r f; do [ -n "$f" ] && lv_ok[$f]=1; done < <(validate "$lv_dom" "${dom_files[@]}")
for f in "${dom_files[@]}"; do file_case[$f]=$(case_of "$f"); done

if [ -f "$oos_tsv" ]; then
	while IFS=$'\t' read -r c _; do
		case $c in ''|'#'*) continue ;; esac
		oos[$c]=1
	done <"$oos_tsv"
else
	echo "# note: $oos_tsv is missing: every case counts as in the subset"
fi

# A case that has a .err file beside its input is a deliberate negative case.
is_negative() {
	compgen -G "$xml/qemuxml2argvdata/$1.*err" >/dev/null
}

# ---- 2. ours never accepts what libvirt's rejects ---------------------------
bad=()
for f in "${dom_files[@]}"; do
	[ -n "${ours_ok[$f]}" ] && [ -z "${lv_ok[$f]}" ] && bad+=("${f#"$xml"/}")
done
if [ ${#bad[@]} -eq 0 ]; then
	t_ok "ours accepts only what libvirt's accepts"
else
	t_fail "ours accepts only what libvirt's accepts" \
		"accepted by ours, rejected by libvirt's schema:" "${bad[@]}"
fi

# Why ours rejects FILE: the device elements it rejects, each tried alone in a
# minimal domain, and the first specific error outside <devices>. (libxml2 only
# says "Extra element devices in interleave" for the whole document.)
why_rejected() {
	local f=$1 n i frag out
	n=$(xmllint --xpath 'count(/domain/devices/*)' "$f" 2>/dev/null)
	for ((i = 1; i <= ${n:-0}; i++)); do
		frag=$(xmllint --xpath "/domain/devices/*[$i]" "$f" 2>/dev/null)
		printf '%s\n' "<domain type='kvm'><name>x</name><os><type>hvm</type></os><devices>" \
			"$frag" "</devices></domain>" >"$T_TMP/why.xml"
		xmllint --noout --relaxng "$ours_dom" "$T_TMP/why.xml" >/dev/null 2>&1 ||
			echo "  ${f#"$xml"/}: rejects $(printf '%s' "$frag" | tr -s ' \n' ' ' | cut -c1-200)"
	done
	sed '/<devices>/,/<\/devices>/d' "$f" >"$T_TMP/why.xml"
	out=$(xmllint --noout --relaxng "$ours_dom" "$T_TMP/why.xml" 2>&1) ||
		echo "  ${f#"$xml"/}: outside <devices>: $(printf '%s\n' "$out" |
			grep -v -e 'fails to validate$' -e 'failed to validate content' -m1 |
			sed 's/^.*Relax-NG validity error : //')"
}

# ---- 3. in-subset cases that libvirt accepts, ours accepts -----------------
bad=()
for f in "${dom_files[@]}"; do
	c=${file_case[$f]}
	[ -n "${oos[$c]}" ] && continue
	[ -z "${lv_ok[$f]}" ] && continue	# rejected by libvirt's schema: exempt
	[ -z "${ours_ok[$f]}" ] && bad+=("$f")
done
if [ ${#bad[@]} -eq 0 ]; then
	t_ok "in-subset cases libvirt accepts, ours accepts"
else
	t_fail "in-subset cases libvirt accepts, ours accepts" \
		"rejected by ours, though not listed in tests/compat/out-of-subset.tsv:" \
		"$(for f in "${bad[@]}"; do why_rejected "$f"; done)"
fi

# ---- 4. out-of-subset cases are rejected by ours ----------------------------
# The input decides: an expected output may have lost the element (libvirt
# drops an unlimited <memtune> hard_limit, for one).
bad=()
missing=()
out_ok=()
for c in "${!oos[@]}"; do
	f=$xml/qemuxml2argvdata/$c.xml
	if [ ! -f "$f" ]; then
		missing+=("$c")
		continue
	fi
	[ -n "${ours_ok[$f]}" ] && bad+=("${f#"$xml"/}")
	for o in "$xml"/qemuxml2xmloutdata/"$c".xml "$xml"/qemuxml2xmloutdata/"$c".x86_64-latest.xml; do
		[ -n "${ours_ok[$o]}" ] && out_ok+=("${o#"$xml"/}")
	done
done
if [ ${#bad[@]} -eq 0 ]; then
	t_ok "out-of-subset cases are rejected by ours"
else
	t_fail "out-of-subset cases are rejected by ours" \
		"accepted by ours although out-of-subset.tsv lists the case:" \
		"$(printf '%s\n' "${bad[@]}" | sort)"
fi
[ ${#out_ok[@]} -gt 0 ] &&
	echo "# out-of-subset cases whose expected output ours accepts (the element is gone): ${out_ok[*]}"
[ ${#missing[@]} -gt 0 ] &&
	echo "# out-of-subset.tsv cases not in this corpus (held out?): $(printf '%s\n' "${missing[@]}" | sort | tr '\n' ' ')"

# Summary, by case (the input file decides) and by file.
n_cases=0 c_ours=0 c_lv=0 c_sub=0 c_sub_ok=0
for f in "$xml"/qemuxml2argvdata/*.xml; do
	c=$(case_of "$f")
	n_cases=$((n_cases + 1))
	[ -n "${ours_ok[$f]}" ] && c_ours=$((c_ours + 1))
	[ -n "${lv_ok[$f]}" ] && c_lv=$((c_lv + 1))
	if [ -z "${oos[$c]}" ]; then
		c_sub=$((c_sub + 1))
		[ -n "${ours_ok[$f]}" ] && c_sub_ok=$((c_sub_ok + 1))
	fi
done
echo "# domain corpus: $n_cases cases (${#dom_files[@]} files);" \
	"accepted by ours: $c_ours cases (${#ours_ok[@]} files);" \
	"by libvirt's: $c_lv cases (${#lv_ok[@]} files);" \
	"in subset: $c_sub cases ($c_sub_ok accepted by ours)"
negs=()
for f in "$xml"/qemuxml2argvdata/*.xml; do
	c=$(case_of "$f")
	is_negative "$c" && negs+=("$c:ours=${ours_ok[$f]:-0},libvirt=${lv_ok[$f]:-0}")
done
[ ${#negs[@]} -gt 0 ] && echo "# negative cases (.err), accepted (1) or not (0): ${negs[*]}"

# ---- 5. network XML ---------------------------------------------------------
net_files=("$xml"/networkxml2xmlin/*.xml "$xml"/networkxml2xmlout/*.xml)
declare -A n_ours n_lv
while read -r f; do [ -n "$f" ] && n_ours[$f]=1; done < <(validate "$ours_net" "${net_files[@]}")
while read -r f; do [ -n "$f" ] && n_lv[$f]=1; done < <(validate "$lv_net" "${net_files[@]}")
rej=() wider=()
for f in "${net_files[@]}"; do
	[ -f "$f" ] || continue
	[ -z "${n_ours[$f]}" ] && rej+=("${f#"$xml"/}")
	[ -n "${n_ours[$f]}" ] && [ -z "${n_lv[$f]}" ] && wider+=("${f#"$xml"/}")
done
if [ ${#rej[@]} -eq 0 ] && [ ${#wider[@]} -eq 0 ]; then
	t_ok "network XML: every corpus document validates, and libvirt's agrees"
else
	t_fail "network XML: every corpus document validates, and libvirt's agrees" \
		"rejected by ours:" "${rej[@]}" "accepted by ours but not by libvirt's:" "${wider[@]}"
fi
echo "# network corpus: ${#net_files[@]} files; accepted by ours: ${#n_ours[@]}; by libvirt's: ${#n_lv[@]}"

# ---- 6. hand-written documents ----------------------------------------------
# Every element and attribute of our domain grammar at least once: libvirt's
# schema must accept it too (the corpus does not use all of them).
cat >"$T_TMP/full-domain.xml" <<'EOF'
<domain type='kvm' id='7'>
  <name>full</name>
  <uuid>c7a5fdbdedaf9455926ad65c16db1809</uuid>
  <title>Every element Vireo models</title>
  <description>more than
one line</description>
  <metadata>
    <app:info xmlns:app='http://example.org/app' app:k='v'>text<app:x y='1'/></app:info>
  </metadata>
  <maxMemory slots='16' unit='GiB'>8</maxMemory>
  <memory unit='MiB'>1024</memory>
  <currentMemory unit='k'>524288</currentMemory>
  <vcpu placement='static' cpuset='0-3,^2' current='2'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <kernel>/boot/vmlinuz</kernel>
    <initrd>/boot/initrd.img</initrd>
    <cmdline>console=ttyS0 root=/dev/vda</cmdline>
    <boot dev='hd'/>
    <boot dev='cdrom'/>
    <boot dev='network'/>
    <boot dev='fd'/>
    <bootmenu enable='yes' timeout='3000'/>
  </os>
  <features>
    <acpi/>
    <apic eoi='on'/>
    <pae/>
    <vmport state='off'/>
  </features>
  <cpu mode='custom' match='exact' check='partial' migratable='on'>
    <model fallback='allow'>qemu64</model>
    <topology sockets='1' dies='1' cores='2' threads='2'/>
  </cpu>
  <clock offset='localtime'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
    <timer name='tsc' present='yes'/>
    <timer name='kvmclock' present='yes'/>
  </clock>
  <on_poweroff>preserve</on_poweroff>
  <on_reboot>rename-restart</on_reboot>
  <on_crash>coredump-restart</on_crash>
  <pm>
    <suspend-to-mem enabled='no'/>
    <suspend-to-disk enabled='yes'/>
  </pm>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' discard='unmap' detect_zeroes='unmap' error_policy='enospace' io='io_uring' ioeventfd='on' event_idx='off' copy_on_read='off' queues='2' queue_size='256'/>
      <source file='/var/lib/vireo/images/root.img'/>
      <target dev='vda' bus='virtio'/>
      <serial>ROOT-1</serial>
      <boot order='1'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0' multifunction='on'/>
    </disk>
    <disk type='block' device='disk'>
      <target dev='sda' bus='scsi'/>
      <source dev='/dev/vg0/data'/>
      <shareable/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <disk device='floppy'>
      <source file='/tmp/floppy.img'/>
      <target dev='fda' bus='fdc'/>
      <transient/>
    </disk>
    <disk type='file'>
      <source file='/tmp/usb.img'/>
      <target dev='sdb' bus='usb'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/tmp/sata.img'/>
      <target dev='sdc' bus='sata'/>
    </disk>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='ide' index='0' model='piix3'/>
    <controller type='fdc' index='0'/>
    <controller type='sata' index='0'>
      <address type='pci' domain='0' bus='0' slot='31' function='2'/>
    </controller>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <controller type='usb' index='0' model='qemu-xhci' ports='8'/>
    <controller type='virtio-serial' index='0' ports='16' vectors='4'/>
    <interface type='ethernet'>
      <mac address='52:54:00:12:34:56'/>
      <target dev='vnet0' managed='no'/>
      <model type='virtio'/>
      <driver name='vhost' queues='4' rx_queue_size='512' tx_queue_size='512' txmode='iothread' ioeventfd='on' event_idx='on'>
        <host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off' mrg_rxbuf='off'/>
        <guest csum='off' tso4='off' tso6='off' ecn='off' ufo='off'/>
      </driver>
      <mtu size='9000'/>
      <link state='down'/>
      <boot order='2'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </interface>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='e1000'/>
    </interface>
    <interface type='network'>
      <driver name='qemu'/>
      <source network='default'/>
    </interface>
    <interface type='user'>
      <model type='rtl8139'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <serial type='file'>
      <source path='/var/log/vireo/serial.log' append='on'/>
      <log file='/var/log/vireo/serial-log.log' append='off'/>
      <target port='1'/>
    </serial>
    <serial type='unix'>
      <source mode='bind' path='/run/vireo/serial.sock'/>
      <target port='2'/>
    </serial>
    <serial type='tcp'>
      <protocol type='telnet'/>
      <source mode='connect' host='127.0.0.1' service='9999'/>
      <target port='3'/>
    </serial>
    <serial type='null'/>
    <console type='pty'>
      <source path='/dev/pts/3'/>
      <target type='serial' port='0'/>
    </console>
    <console type='unix'>
      <source mode='connect' path='/run/vireo/console.sock'/>
      <target type='virtio' port='1'/>
    </console>
    <input type='tablet' bus='usb'/>
    <input type='keyboard' bus='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x0e' function='0x0'/>
    </input>
    <input type='mouse' bus='ps2'/>
    <audio id='1' type='none'/>
    <rng model='virtio'>
      <rate bytes='1024' period='1000'/>
      <backend model='random'>/dev/urandom</backend>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>
    </rng>
    <rng model='virtio'>
      <backend model='random'/>
    </rng>
    <panic model='isa'>
      <address type='isa' iobase='0x505'/>
    </panic>
    <panic model='hyperv'/>
    <memballoon model='virtio' autodeflate='on' freePageReporting='on'>
      <stats period='10'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </memballoon>
  </devices>
</domain>
EOF
cat >"$T_TMP/full-network.xml" <<'EOF'
<network ipv6='yes'>
  <name>full</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward mode='nat' dev='eth0'>
    <interface dev='eth0'/>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr9' stp='on' delay='0' zone='trusted' macTableManager='libvirt'/>
  <mac address='52:54:00:17:3f:37'/>
  <domain name='vm.example.com' localOnly='yes'/>
  <mtu size='1500'/>
  <dns enable='yes'/>
  <ip family='ipv4' address='192.168.122.1' prefix='24'>
    <tftp root='/srv/tftp'/>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='00:16:3e:77:e2:ed' name='a.example.com' ip='192.168.122.10'/>
      <host name='b' ip='192.168.122.11'/>
      <bootp file='pxelinux.0' server='192.168.122.1'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'>
    <dhcp>
      <range start='2001:db8:ca2:2:1::10' end='2001:db8:ca2:2:1::ff'/>
    </dhcp>
  </ip>
</network>
EOF
errs=""
for pair in "$ours_dom:$lv_dom:full-domain" "$ours_net:$lv_net:full-network"; do
	IFS=: read -r ours lv doc <<<"$pair"
	for schema in "$ours" "$lv"; do
		out=$(xmllint --noout --relaxng "$schema" "$T_TMP/$doc.xml" 2>&1) ||
			errs="$errs$doc.xml rejected by ${schema#"$VIREO_TEST_SRCDIR"/}:"$'\n'"$out"$'\n'
	done
done
# Outside the subset, one at a time, into the minimal domain: ours must reject.
while IFS='|' read -r where what; do
	[ -z "$where" ] && continue
	case $where in
	devices) sed "s|</os>|</os><devices>$what</devices>|" "$T_TMP/min-domain.xml" ;;
	domain) sed "s|</os>|</os>$what|" "$T_TMP/min-domain.xml" ;;
	os) sed "s|</type>|</type>$what|" "$T_TMP/min-domain.xml" ;;
	attr) sed "s|<domain type='kvm'|<domain type='kvm' $what|" "$T_TMP/min-domain.xml" ;;
	esac >"$T_TMP/neg.xml"
	if xmllint --noout --relaxng "$ours_dom" "$T_TMP/neg.xml" >/dev/null 2>&1; then
		errs="${errs}accepted by ours although outside the subset: $what"$'\n'
	fi
done <<'EOF'
devices|<sound model='ich9'/>
devices|<video><model type='virtio'/></video>
devices|<interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>
devices|<interface type='user'><driver packed='on'/></interface>
devices|<interface type='direct'><source dev='eth0'/></interface>
devices|<disk type='network'><source protocol='nbd' name='x'><host name='h'/></source><target dev='vda'/></disk>
devices|<disk type='file'><source file='/x'/><target dev='vda'/><iotune><total_bytes_sec>1</total_bytes_sec></iotune></disk>
devices|<serial type='vc'/>
devices|<memballoon model='virtio'><driver iommu='on'/></memballoon>
devices|<hostdev mode='subsystem' type='pci'/>
domain|<seclabel type='none'/>
domain|<memtune><hard_limit>1</hard_limit></memtune>
domain|<features><kvm><hidden state='on'/></kvm></features>
domain|<vendor:x xmlns:vendor='http://example.org/v'/>
os|<loader readonly='yes'>/usr/share/OVMF/OVMF_CODE.fd</loader>
attr|foo='bar'
EOF
if [ -z "$errs" ]; then
	t_ok "hand-written documents: all of ours is inside libvirt's, the rest is rejected"
else
	t_fail "hand-written documents: all of ours is inside libvirt's, the rest is rejected" "$errs"
fi

t_done
