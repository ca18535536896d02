#!/bin/bash
# tests/tls_loopback/ca_cli_test.sh — `askfirst ca` end to end in a temporary
# XDG_DATA_HOME: files and modes on first use, PEM and DER exports of one
# certificate, rotation, and errors that name the file and exit non-zero.
# usage: ca_cli_test.sh PATH/TO/askfirst
set -u
askfirst=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data
failures=0
check() { if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failures=$((failures + 1)); fi; }
ca_dir=$XDG_DATA_HOME/askfirst/ca

path=$("$askfirst" ca path 2>"$work/first.err")
check "path prints the certificate file" test "$path" = "$ca_dir/askfirst-ca.pem"
check "first use says a CA was created" grep -q "created a new CA" "$work/first.err"
check "the CA directory is 0700" test "$(stat -c %a "$ca_dir")" = 700
check "the key is 0600" test "$(stat -c %a "$ca_dir/askfirst-ca.key")" = 600
"$askfirst" ca path >/dev/null 2>"$work/second.err"
check "a second use reuses the CA silently" test ! -s "$work/second.err"

pem_fp=$("$askfirst" ca export | openssl x509 -noout -fingerprint -sha256)
der_fp=$("$askfirst" ca export --der | openssl x509 -inform der -noout -fingerprint -sha256)
check "PEM and DER exports are the same certificate" test -n "$pem_fp" -a "$pem_fp" = "$der_fp"
check "the CA is a P-256 CA certificate" sh -c "'$askfirst' ca export | openssl x509 -noout -text | grep -q 'NIST CURVE: P-256'"

"$askfirst" ca rotate >"$work/rotate.out" 2>&1
rotated_fp=$("$askfirst" ca export | openssl x509 -noout -fingerprint -sha256)
check "rotate changes the fingerprint" test "$rotated_fp" != "$pem_fp"
check "rotate tells the user to reinstall the CA in guests" grep -q "install the new one" "$work/rotate.out"

cp "$ca_dir/askfirst-ca.key" "$work/key.bak"
echo garbage >"$ca_dir/askfirst-ca.key"
"$askfirst" ca path >/dev/null 2>"$work/corrupt.err"; rc=$?
check "a corrupt key fails with exit 1" test "$rc" = 1
check "... naming the key file and the fix" sh -c "grep -q 'askfirst-ca.key' '$work/corrupt.err' && grep -q 'askfirst ca rotate' '$work/corrupt.err'"
check "... without making a new CA" grep -q garbage "$ca_dir/askfirst-ca.key"
cp "$work/key.bak" "$ca_dir/askfirst-ca.key"

"$askfirst" ca frobnicate >/dev/null 2>&1; rc=$?
check "an unknown action is a usage error (exit 2)" test "$rc" = 2
check "--help describes the actions" sh -c "'$askfirst' ca --help | grep -q rotate"
exit "$failures"
