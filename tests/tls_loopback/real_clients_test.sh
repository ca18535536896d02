#!/bin/bash
# tests/tls_loopback/real_clients_test.sh — real TLS clients (curl, openssl
# s_client, python3 ssl) against tls_loopback_server, i.e. against our
# guest-side session, on 127.0.0.1 only. Pins: the leaf chains to the
# askfirst CA and names the SNI (strict X.509 checks too); h2 is chosen
# when offered first; a client offering only an unread protocol fails fast; a second connection is
# resumed with the ticket from the first; a client without the CA is
# recorded as refusing our certificate.
# usage: real_clients_test.sh PATH/TO/tls_loopback_server
set -u
server_binary=$1
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export XDG_DATA_HOME=$work/data
failures=0
check() {  # check NAME COMMAND...: run, count a failure with its name
    if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failures=$((failures + 1)); fi
}

"$server_binary" "$work/port" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
ca=$XDG_DATA_HOME/askfirst/ca/askfirst-ca.pem
host=api.askfirst.test

# --http1.1: this loopback server answers HTTP/1.1 only (askfirstd's HTTP/2 session is tested elsewhere)
body=$(timeout 10 curl -sS --http1.1 --cacert "$ca" --resolve "$host:$port:127.0.0.1" "https://$host:$port/")
check "curl trusts the leaf via --cacert and reads the response" test "$body" = "hello from askfirst"

timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" -verify_return_error \
    -verify_hostname "$host" -x509_strict -alpn h2,http/1.1 -showcerts -sess_out "$work/session" \
    </dev/null >"$work/s_client.txt" 2>&1
check "openssl s_client verifies the chain strictly and the hostname" grep -q "Verify return code: 0 (ok)" "$work/s_client.txt"
check "ALPN picks h2 when the client offers it first (issue 16)" grep -q "ALPN protocol: h2" "$work/s_client.txt"
awk '/BEGIN CERT/{n++} n==1{print} /END CERT/{if(n==1) exit}' "$work/s_client.txt" >"$work/leaf.pem"
check "the leaf's SAN is the SNI" sh -c "openssl x509 -in '$work/leaf.pem' -noout -ext subjectAltName | grep -q 'DNS:$host'"
check "the leaf verifies strictly against the CA for TLS servers" \
    sh -c "openssl verify -x509_strict -purpose sslserver -CAfile '$ca' '$work/leaf.pem' | grep -q ': OK'"

check "ECDHE uses X25519 when the client offers it first" grep -q "Server Temp Key: X25519" "$work/s_client.txt"
timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" -curves P-256 \
    </dev/null >"$work/p256.txt" 2>&1
check "ECDHE uses P-256 when the client offers only P-256" grep -q "Server Temp Key: ECDH, prime256v1" "$work/p256.txt"

timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" -sess_in "$work/session" \
    </dev/null >"$work/resumed.txt" 2>&1
check "a second connection resumes the session" grep -q "^Reused" "$work/resumed.txt"

start=$(date +%s)
timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" -alpn spdy/3.1 \
    </dev/null >"$work/h2.txt" 2>&1
elapsed=$(( $(date +%s) - start ))
check "a client offering only a protocol askfirst does not read fails the handshake (no_application_protocol)" \
    grep -qi "no application protocol\|alert number 120" "$work/h2.txt"
check "... and fails fast, without hanging" test "$elapsed" -lt 5

timeout 10 curl -sS --resolve "$host:$port:127.0.0.1" "https://$host:$port/" >/dev/null 2>"$work/curl_untrusted.txt"
check "curl without the CA refuses the certificate" grep -qi "certificate" "$work/curl_untrusted.txt"

timeout 10 python3 - "$ca" "$port" "$host" >"$work/python.txt" 2>&1 <<'PY'
import ssl, sys
ca, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=ca)
context.verify_flags |= ssl.VERIFY_X509_STRICT  # what Python 3.13 turns on by default
# Connect to loopback but send and verify the host name `host`.
import socket
raw = socket.create_connection(("127.0.0.1", port), timeout=5)
tls = context.wrap_socket(raw, server_hostname=host)
tls.sendall(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = tls.recv(4096)
    if not chunk:
        break
    data += chunk
print(tls.version(), data.decode().split("\r\n")[0])
PY
check "python3 ssl with VERIFY_X509_STRICT accepts the leaf" grep -q "TLSv1.2 HTTP/1.1 200 OK" "$work/python.txt"

sleep 0.2
check "the server recorded the refusal as guest_rejected_certificate" grep -q "failure=guest_rejected_certificate" "$work/server.log"
check "the server recorded that client as no_common_alpn" grep -q "failure=no_common_alpn" "$work/server.log"

if [ "$failures" -ne 0 ]; then
    echo "--- server log"; cat "$work/server.log"; echo "--- s_client"; head -40 "$work/s_client.txt"
    echo "--- python"; cat "$work/python.txt"
fi
exit "$failures"
