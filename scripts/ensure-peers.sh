#!/usr/bin/env bash
# Installs the real peers the test suite runs against (Debian packages), or stops with one line naming
# the missing package. Never skips: a test without its peer proves nothing.
set -euo pipefail
# command → Debian package
declare -A need=(
  [pebble]=pebble
  [pebble-challtestsrv]=pebble
  [openssl]=openssl
  [curl]=curl
  [named]=bind9
  [nsupdate]=bind9-dnsutils
  [dig]=bind9-dnsutils
  [certutil]=libnss3-tools
  [chromium]=chromium
  [testssl]=testssl.sh
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test peers: $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  # shellcheck disable=SC2086
  if apt-get install -y -qq $pkgs >/dev/null 2>&1; then exit 0; fi
fi
echo "missing test peer: install the Debian package(s) $pkgs (apt-get install $pkgs)" >&2
exit 1
