#!/bin/busybox sh
# tools/guest/demo-init.sh — /init of askfirst's demo guest (see
# build-demo-guest.sh). Brings up the virtio network card the ordinary way
# (DHCP and router advertisements from askfirstd's slirp side: the guest has
# no idea it is being watched), installs the askfirst CA that askfirst-vm
# appended at /askfirst/ca.pem (and the credential stubs, /askfirst/stubs.tar),
# then runs /askfirst/run if present, or a
# shell on the console. Powers off when that ends, so the VM is disposable.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

for module in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$module" 2>/dev/null
done

cat > /tmp/udhcpc.script <<'SCRIPT'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    : > /etc/resolv.conf
    for server in $dns; do echo "nameserver $server" >> /etc/resolv.conf; done
    ;;
esac
SCRIPT
chmod +x /tmp/udhcpc.script

ip link set lo up
ip link set eth0 up
if ! udhcpc -i eth0 -s /tmp/udhcpc.script -q -n -t 5 -T 1 >/dev/null 2>&1; then
  echo "askfirst-guest: no DHCP answer on eth0: the network is gone (askfirstd not running?)"
fi

# IPv6 comes from askfirstd's router advertisements (SLAAC): wait, at most
# 5 s, until an address beyond link-local has passed duplicate detection.
tries=0
while [ $tries -lt 50 ]; do
  addresses=$(ip -6 addr show dev eth0 2>/dev/null | grep inet6 | grep -v "fe80::")
  if [ -n "$addresses" ] && ! echo "$addresses" | grep -q tentative; then break; fi
  sleep 0.1
  tries=$((tries + 1))
done

if [ -s /askfirst/ca.pem ]; then
  cat /askfirst/ca.pem >> /etc/ssl/certs/ca-certificates.crt
fi
export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
export CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
export GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt
export HOME=/root
# The credential stubs askfirst-vm appended (/askfirst/stubs.tar, installed by
# tools/guest/install-stubs.sh for root: the demo guest has no other user).
if [ -s /askfirst/stubs.tar ]; then
  sh /askfirst/install-stubs /askfirst/stubs.tar root && rm -f /askfirst/stubs.tar
  [ -r /etc/profile.d/askfirst-credentials.sh ] && . /etc/profile.d/askfirst-credentials.sh
fi
echo "askfirst-guest: up, $(ip -4 -o addr show dev eth0 | awk '{print $4}') $(ip -6 -o addr show dev eth0 | grep -v fe80 | awk '{print $4}')"

if [ -x /askfirst/run ]; then
  /askfirst/run
  echo "askfirst-guest: exit status $?"
else
  setsid cttyhack sh
fi
poweroff -f
