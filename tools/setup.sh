#!/usr/bin/env bash
# tools/setup.sh — installs every Debian 12 package askfirst's build, tests and
# benchmarks need. Idempotent: packages already present are not reinstalled,
# and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  # the chosen libraries
  libslirp-dev libglib2.0-dev liblwip-dev libmbedtls-dev libuv1-dev libcjson-dev libyaml-dev
  doctest-dev node-llhttp libpg-query-dev
  # libcrypto: the TLS records after mbedTLS's handshake (tls/record_protection.h)
  libssl-dev
  # HTTP/2 framing, HPACK and flow control (src/http/http2_session.h)
  libnghttp2-dev
  # botocore's service models: tools/ generates the AWS route tables from them
  python3-botocore
  # real peers and clients for the integration tests
  iproute2 nginx-light netcat-openbsd curl wget git socat openssl procps
  python3 python3-pytest python3-requests
  # real clients of the HTTP decision-point tests (tests/integration/test_http_clients.py)
  awscli
  # the GitHub CLI of the credential broker tests (tests/integration/test_credentials_forges.py)
  gh
  # HTTP/2 and gRPC clients and servers (tests/integration/test_http2.py)
  nghttp2-client python3-grpcio
  # the raw HTTP/2 attacker of tests/integration/test_http2_attacks.py: frames and HPACK by hand
  python3-hyperframe python3-hpack
  # real database servers and clients (tests/integration/test_postgres.py, test_redis.py):
  # PostgreSQL 15 with psql and pgbench, redis-server and redis-cli, MariaDB 10.11 (test_mysql.py)
  postgresql redis-server redis-tools mariadb-server mariadb-client
  # an ORM as agents use one: SQLAlchemy over psycopg2 (test_postgres.py)
  python3-sqlalchemy python3-psycopg2
  # MongoDB's wire protocol: libbson reads its BSON (src/database/mongodb_wire.h); pymongo is the
  # real client of tests/integration/test_mongodb.py (Debian 12 has no mongod: the server is a stand-in)
  libbson-dev python3-pymongo
  # the agent tests (issue 14): pip is a real client of the agent day (tests/integration/test_agent_*.py);
  # Node and npm are added below when missing
  python3-pip
  # the VM path and the stream-transport test; the demo guest is built from
  # Debian's cloud kernel (apt-get download) and these host packages
  qemu-system-x86 qemu-utils busybox-static cpio kmod genisoimage
  # the real Debian guest (tools/guest/build-debian-guest.sh): mmdebstrap
  # builds it, mkfs.ext4 -d makes its disk without root or a loop device
  mmdebstrap e2fsprogs
  # the tray helper and its test under Xvfb
  python3-gi gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 xvfb xdotool imagemagick
  # benchmarks
  wrk passt hyperfine
  # tests/bench/tls_compare.sh: the TLS middleboxes askfirst is compared with
  mitmproxy squid-openssl
)

# kubectl for the same tests: Debian's kubernetes-client, unless a kubectl is
# already installed (another package's /usr/bin/kubectl would conflict with it)
command -v kubectl >/dev/null || packages+=(kubernetes-client)
# Node and npm for the agent tests (npm installs Claude Code and Codex at test time; Node's fetch is
# a client of the agent day): Debian's, unless a Node with its own npm is installed (NodeSource's
# nodejs package bundles npm and conflicts with Debian's npm package)
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run this script as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
