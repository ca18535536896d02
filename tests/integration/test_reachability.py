"""What a sandboxed command can reach through askfirstd, and what it cannot.

Each test names what it pins. Servers are real and on loopback; the guest
dials documentation addresses (198.51.100.0/24, 2001:db8::/32) that
upstream.map sends to them, so nothing ever leaves the machine.
"""
import os
import shlex
import socket
import subprocess

import pytest

import servers
from conftest import WEB4, WEB6

SMALL = "hello from nginx on loopback\n"


def test_curl_by_dns_hosts_name_over_ipv4(rig, web_profile):
    """Pins: a dns.hosts name resolves in the sandbox and TCP/80 over IPv4 is relayed to nginx."""
    result = rig.run(web_profile, "curl -4 -sS --max-time 20 http://web4.test/small.txt")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SMALL


def test_curl_by_dns_hosts_name_over_ipv6(rig, web_profile):
    """Pins: AAAA from dns.hosts, and IPv6 TCP terminated and relayed to nginx on [::1]."""
    result = rig.run(web_profile, "curl -6 -sS --max-time 20 http://web6.test/small.txt")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SMALL


def test_wget_over_ipv4_and_ipv6_literals(rig, web_profile):
    """Pins: wget (a second client) works by address literal on both families."""
    script = (f"wget -q -T 20 -O - http://{WEB4}/small.txt && "
              f"wget -q -T 20 -O - 'http://[{WEB6}]/small.txt'")
    result = rig.run(web_profile, script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == SMALL * 2


def test_dns_answers_come_from_the_virtual_nameserver(rig, web_profile):
    """Pins: the sandbox's resolver is 10.0.2.3 and gets both address families of a listed name."""
    result = rig.run(web_profile, "cat /etc/resolv.conf; getent ahosts web.test | awk '{print $1}' | sort -u")
    assert result.returncode == 0, result.stderr
    assert "nameserver 10.0.2.3" in result.stdout
    assert WEB4 in result.stdout and WEB6 in result.stdout


DNS_QUERY_SCRIPT = r'''
import socket, struct, sys
def ask(name, qtype, server=("10.0.2.3", 53), tcp=False):
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
    if tcp:
        s = socket.create_connection(server, timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        r = data[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
        s.sendto(q, server); r = s.recv(4096)
    rcode = r[3] & 15; ancount = struct.unpack(">H", r[6:8])[0]
    addrs = []
    if ancount:
        # answers use a pointer to the question; A records are the last 4 bytes of each 16-byte record
        off = 12 + len(q) - 12
        for i in range(ancount):
            rdlen = struct.unpack(">H", r[off+10:off+12])[0]
            addrs.append(socket.inet_ntop(socket.AF_INET if rdlen == 4 else socket.AF_INET6, r[off+12:off+12+rdlen]))
            off += 12 + rdlen
    print(name, qtype, rcode, ",".join(addrs))
for arg in sys.argv[1:]:
    name, qtype, *mode = arg.split(":")
    ask(name, int(qtype), tcp=bool(mode))
'''


def run_dns_queries(rig, profile, *queries):
    script = f"cat > /tmp/askfirst-dnsq.py <<'EOF'\n{DNS_QUERY_SCRIPT}\nEOF\npython3 /tmp/askfirst-dnsq.py {' '.join(queries)}"
    result = rig.run(profile, script)
    assert result.returncode == 0, result.stderr
    return {tuple(line.split()[:2]): line.split()[2:] for line in result.stdout.splitlines()}


def test_host_resolver_answers_names_outside_dns_hosts(rig, web_profile):
    """Pins: a name not in dns.hosts is resolved on the host (its /etc/hosts has localhost) and passed through."""
    answers = run_dns_queries(rig, web_profile, "localhost:1", "web.test:15")
    assert answers[("localhost", "1")] == ["0", "127.0.0.1"]
    assert answers[("web.test", "15")] == ["4"]  # MX: NOTIMP, as dns_responder.h says


def test_tcp_dns_goes_through_the_tcp_path(rig, web_profile, async_servers):
    """Pins: DNS over TCP to the virtual nameserver is an ordinary TCP flow (routed by upstream.map)."""
    async def tcp_dns(reader, writer):
        length = int.from_bytes(await reader.readexactly(2), "big")
        query = await reader.readexactly(length)
        # NOERROR, one A answer 192.0.2.99 for the question asked
        answer = query[:2] + b"\x81\x80" + query[4:6] + b"\x00\x01\x00\x00\x00\x00" + query[12:]
        answer += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 99])
        writer.write(len(answer).to_bytes(2, "big") + answer)
        await writer.drain()
        writer.close()
    port = async_servers.start(tcp_dns)
    profile = dict(web_profile, upstream={"map": {"10.0.2.3:53": f"127.0.0.1:{port}"}})
    answers = run_dns_queries(rig, profile, "anything.test:1:tcp")
    assert answers[("anything.test", "1")] == ["0", "192.0.2.99"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: bind-mounts a private /etc/hosts and resolv.conf for askfirstd")
def test_host_resolver_passes_nxdomain_servfail_and_hosts_names(rig, web_profile, nginx, tmp_path):
    """Pins: names outside dns.hosts are resolved by the host's resolver (nsswitch files + dns):
    a host /etc/hosts name works end to end, NXDOMAIN and SERVFAIL come back as such.
    The host resolver is pointed at a fake DNS server on 127.53.0.1 inside a private mount namespace."""
    import fake_dns
    dns = fake_dns.FakeDns("127.53.0.1", {"nx.test": 3, "fail.test": 2})
    try:
        (tmp_path / "hosts").write_text("127.0.0.1 localhost\n198.51.100.9 hostside.test\n")
        (tmp_path / "resolv.conf").write_text("nameserver 127.53.0.1\noptions timeout:2 attempts:1\n")
        profile = dict(web_profile, upstream={"map": {f"198.51.100.9:80": f"127.0.0.1:{nginx.port}"}})
        inner = " ".join(shlex.quote(part) for part in rig.command(profile, (
            f"cat > /tmp/askfirst-dnsq.py <<'EOF'\n{DNS_QUERY_SCRIPT}\nEOF\n"
            "python3 /tmp/askfirst-dnsq.py nx.test:1 fail.test:1 hostside.test:1 && "
            "curl -sS --max-time 20 http://hostside.test/small.txt")))
        outer = (f"mount --bind {tmp_path}/hosts /etc/hosts && "
                 f"mount --bind {tmp_path}/resolv.conf $(realpath /etc/resolv.conf) && exec {inner}")
        result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", outer],
                                capture_output=True, text=True, timeout=60)
    finally:
        dns.stop()
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "nx.test 1 3" in lines
    assert "fail.test 1 2" in lines
    assert "hostside.test 1 0 198.51.100.9" in lines
    assert lines[-1] + "\n" == SMALL


ODD_PORTS = (22, 2376, 5432, 6443, 8443, 9200)


def test_odd_ports_are_relayed(rig, echo_port):
    """Pins: no port is special: TCP to 22, 2376, 5432, 6443, 8443, 9200 is terminated and relayed."""
    profile = {"upstream": {"map": {f"198.51.100.20:{port}": f"127.0.0.1:{echo_port}" for port in ODD_PORTS}}}
    script = "; ".join(f"printf 'port{port}\\n' | nc -N -w 10 198.51.100.20 {port}" for port in ODD_PORTS)
    result = rig.run(profile, script)
    assert result.stdout.split() == [f"port{port}" for port in ODD_PORTS], result.stderr


def test_refused_upstream_fails_the_client_fast(rig):
    """Pins: when the upstream refuses, the guest learns it at once, not after a hang:
    an opaque flow gets a reset; an HTTP request gets askfirstd's 502 (its HTTP
    session answers for the upstream that could not be reached)."""
    closed = servers.free_port()
    profile = {"upstream": {"map": {"198.51.100.40:80": f"127.0.0.1:{closed}",
                                    "198.51.100.40:7": f"127.0.0.1:{closed}"}}}
    result = rig.run(profile,
                     "start=$(date +%s%N); printf 'x' | nc -N -w 20 198.51.100.40 7; "
                     "echo raw_rc=$? raw_ms=$(( ($(date +%s%N) - start) / 1000000 )); "
                     "start=$(date +%s%N); curl -s -o /dev/null -w 'code=%{http_code} ' --max-time 20 "
                     "http://198.51.100.40/; echo http_ms=$(( ($(date +%s%N) - start) / 1000000 ))")
    fields = dict(item.split("=") for item in result.stdout.split() if "=" in item)
    assert "flow_reset flow=1 dst=198.51.100.40:7" in result.stderr, result.stdout + result.stderr
    assert int(fields["raw_ms"]) < 5000  # the opaque flow waits 3 s for a protocol it can read
    assert fields["code"] == "502", result.stdout + result.stderr
    assert int(fields["http_ms"]) < 2000


def test_gateway_does_not_reach_host_loopback_unless_listed(rig, nginx):
    """Pins invariant 3: 10.0.2.2:port fails unless host_services lists it, and works when listed."""
    unlisted = rig.run({}, f"curl -sS --max-time 5 http://10.0.2.2:{nginx.port}/small.txt; echo rc=$?")
    assert SMALL not in unlisted.stdout
    assert "rc=0" not in unlisted.stdout
    listed = rig.run({"host_services": {"10.0.2.2:8080": f"127.0.0.1:{nginx.port}"}},
                     "curl -sS --max-time 10 http://10.0.2.2:8080/small.txt")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == SMALL


UDP_SCRIPT = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5)
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    s.sendto(b"ping", (host, int(port)))
    try:
        print(target, s.recv(100).decode())
    except socket.timeout:
        print(target, "timeout")
'''


def run_udp(rig, profile, *targets):
    script = f"cat > /tmp/askfirst-udp.py <<'EOF'\n{UDP_SCRIPT}\nEOF\npython3 /tmp/askfirst-udp.py {' '.join(targets)}"
    result = rig.run(profile, script)
    assert result.returncode == 0, result.stderr
    return dict(line.split() for line in result.stdout.splitlines())


@pytest.fixture
def udp_peer(exec_works, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root: the UDP peer lives in a namespace joined to the host by a veth pair")
    peer = servers.NamespacedUdpEcho([5353, 443], str(tmp_path))
    yield peer
    peer.stop()


def test_udp_is_dropped_unless_listed_in_udp_allow(rig, udp_peer):
    """Pins invariant 2: UDP to a port gets nowhere unless udp.allow lists it (the server sees
    nothing); a listed destination is delivered through slirp's NAT and answers."""
    target = f"{udp_peer.address}:5353"
    assert run_udp(rig, {}, target) == {target: "timeout"}
    assert udp_peer.received(5353) == 0
    assert run_udp(rig, {"udp": {"allow": [target]}}, target) == {target: "ping"}
    assert udp_peer.received(5353) == 1


def test_udp_443_is_dropped_unless_listed(rig, udp_peer):
    """Pins: QUIC's UDP/443 is not special-cased open: dropped unless listed (so HTTP/3 falls
    back to TCP, where it is judged), delivered when listed."""
    target = f"{udp_peer.address}:443"
    assert run_udp(rig, {"udp": {"allow": [f"{udp_peer.address}:5353"]}}, target) == {target: "timeout"}
    assert udp_peer.received(443) == 0
    assert run_udp(rig, {"udp": {"allow": [target]}}, target) == {target: "ping"}
    assert udp_peer.received(443) == 1


def test_udp_to_the_gateway_never_reaches_host_loopback(rig):
    """Pins invariant 3 for UDP: even when udp.allow lists 10.0.2.2:port, slirp does not map the
    gateway to the host's loopback (host services are TCP and explicit)."""
    echo = servers.UdpEcho()
    try:
        target = f"10.0.2.2:{echo.port}"
        assert run_udp(rig, {"udp": {"allow": [target]}}, target) == {target: "timeout"}
        assert echo.received == 0
    finally:
        echo.stop()
