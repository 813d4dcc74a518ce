#!/usr/bin/env bash
# Builds the four service images with podman: dfmigrate/<service>:<version>.
#   deploy/images/build.sh              # base image from the registry default (BASE_IMAGE in each Dockerfile.jvm)
#   DFM_LOCAL_BASE=1 deploy/images/build.sh
#                                       # no registry: first builds localhost/dfmigrate/jre-base:21 from Debian packages
#                                       # (mmdebstrap, trixie, openjdk-21-jre-headless) and builds on it
# DFM_SKIP_PACKAGE=1 skips `./mvnw package` (jars already built). Runs podman with the settings of
# deploy/images/containers.conf (runc, no default ulimits) unless CONTAINERS_CONF is set.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/images/containers.conf}
VERSION=${DFM_IMAGE_VERSION:-$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)}
SERVICES=${DFM_SERVICES:-orchestrator validator copier replicator}
# podman, runc and (for the local base) mmdebstrap come from Debian; installed when missing and run as root
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
[ "${DFM_LOCAL_BASE:-0}" = 1 ] && ! command -v mmdebstrap >/dev/null && need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  else
    echo "build.sh: install ${need[*]} (Debian packages) first" >&2
    exit 2
  fi
fi
BASE_ARGS=()
if [ "${DFM_LOCAL_BASE:-0}" = 1 ]; then
  BASE=localhost/dfmigrate/jre-base:21
  if ! podman image exists "$BASE"; then
    MIRROR=${DFM_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    echo "building $BASE from Debian trixie packages ($MIRROR)"
    mmdebstrap --quiet --variant=apt --include=openjdk-21-jre-headless,ca-certificates --mode=root trixie "$TMP/rootfs.tar" "$MIRROR"
    podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$TMP/rootfs.tar" "$BASE"
  fi
  BASE_ARGS=(--build-arg "BASE_IMAGE=$BASE")
fi
if [ "${DFM_SKIP_PACKAGE:-0}" != 1 ]; then
  ./mvnw -B -q package -DskipTests -pl "$(echo "$SERVICES" | tr ' ' ',')" -am
fi
for s in $SERVICES; do
  podman build --quiet "${BASE_ARGS[@]}" -f "$s/src/main/docker/Dockerfile.jvm" -t "dfmigrate/$s:$VERSION" "$s"
  echo "built dfmigrate/$s:$VERSION"
done
