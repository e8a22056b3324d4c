# vhost-present: L1 can give guests vhost-net, tap and bridges.
if modprobe vhost_net 2>/tmp/mp.err && [ -c /dev/vhost-net ]; then
	r_ok "/dev/vhost-net exists after modprobe vhost_net"
else
	r_fail "/dev/vhost-net exists after modprobe vhost_net" "$(cat /tmp/mp.err)" "$(lsmod)"
fi
if [ -c /dev/net/tun ]; then
	r_ok "/dev/net/tun exists"
else
	r_fail "/dev/net/tun exists" "$(lsmod)"
fi
if modprobe bridge 2>/tmp/mp.err && brctl addbr rigbr0 2>>/tmp/mp.err &&
	tunctl -t rigtap0 >/dev/null 2>>/tmp/mp.err && brctl addif rigbr0 rigtap0 2>>/tmp/mp.err; then
	r_ok "a tap device joins a bridge"
else
	r_fail "a tap device joins a bridge" "$(cat /tmp/mp.err)"
fi
tunctl -d rigtap0 >/dev/null 2>&1
brctl delbr rigbr0 2>/dev/null
r_done
