#!/usr/bin/env bash
# Builds a Debian trixie root with redis-server 8.0 and valkey-server 8.1 (DESIGN §9) for the cross-version tests, once:
# the tests run them with chroot (RedisServer.startTrixie). Needs root and mmdebstrap (prereqs.sh installs it); about a
# minute from the Debian mirror of /etc/apt. DFM_TRIXIE_ROOT: where (default /var/cache/dfmigrate/trixie-servers);
# DFM_DEBIAN_MIRROR: another mirror.
set -euo pipefail
ROOT=${DFM_TRIXIE_ROOT:-/var/cache/dfmigrate/trixie-servers}
if [ -x "$ROOT/usr/bin/redis-server" ] && [ -x "$ROOT/usr/bin/valkey-server" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "servers.sh: building $ROOT needs root (mmdebstrap --mode=root); run it as root once" >&2
  exit 2
fi
MIRROR=${DFM_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
mkdir -p "$(dirname "$ROOT")"
rm -rf "$ROOT.tmp"
echo "servers.sh: building $ROOT (Debian trixie: redis-server, valkey-server) from $MIRROR ..."
mmdebstrap --quiet --variant=apt --include=redis-server,valkey-server --mode=root trixie "$ROOT.tmp" "$MIRROR"
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
echo "servers.sh: $(chroot "$ROOT" redis-server --version | cut -d" " -f1-3), $(chroot "$ROOT" valkey-server --version | cut -d" " -f1-3) ready in $ROOT"
