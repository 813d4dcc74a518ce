# shellcheck shell=bash
# Sourced by run.sh, test.sh and .ci/run: makes sure this machine has what dfmigrate needs and exports JAVA_HOME.
#  - a JDK 21 or newer (JAVA_HOME if it is one, else the newest under /usr/lib/jvm)
#  - PostgreSQL server binaries (Debian package postgresql), unless DFM_DB_URL points at your own PostgreSQL
#  - redis-server and redis-cli (Debian package redis-server): sources and targets of the tests and the quickstart
#  - openssl: the TLS tests make their own CA
#  - chromium and chromium-driver: the console's tests drive a real browser (headless)
#  - podman, runc, catatonit and mmdebstrap: the container tests of the images and the Kubernetes play (e2e KubePlayTest); kubectl
#    (for `kubectl kustomize`) is not a Debian package of this release: it must be on the PATH for the play
# Missing Debian packages are installed when running as root; otherwise the script says what to install.

dfm_java_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

dfm_select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(dfm_java_version "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*; do
    [ -x "$d/bin/javac" ] || continue
    v=$(dfm_java_version "$d")
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    echo "dfmigrate: no JDK 21 or newer found (JAVA_HOME or /usr/lib/jvm); install one, e.g. apt-get install openjdk-21-jdk-headless" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

dfm_apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "dfmigrate: missing Debian package(s): $*; install them with: sudo apt-get install -y $*" >&2
    return 1
  fi
  echo "dfmigrate: installing $* ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

dfm_prereqs() {
  dfm_select_jdk || return 1
  local need=()
  if [ -z "${DFM_DB_URL:-}" ] && [ -z "${DFM_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    need+=(postgresql)
  fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    need+=(redis-server)
  fi
  if ! command -v openssl >/dev/null 2>&1; then
    need+=(openssl)   # the TLS tests generate a CA and a server certificate
  fi
  if [ "${DFM_PREREQS_BROWSER:-1}" = 1 ] && { ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; }; then
    need+=(chromium chromium-driver)   # the console's end-to-end test (e2e ConsoleTest)
  fi
  if [ "${DFM_PREREQS_CONTAINERS:-1}" = 1 ]; then
    # the images' container tests and the Kubernetes play; catatonit is the pause process of a pod (podman kube play
    # builds its pause image from it), only recommended by Debian's podman package
    for tool in podman runc mmdebstrap catatonit; do
      command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
    done
  fi
  if ! command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    need+=(util-linux)
  fi
  if [ "${#need[@]}" -gt 0 ]; then
    dfm_apt_install "${need[@]}" || return 1
  fi
  echo "dfmigrate: JDK $JAVA_HOME ($(dfm_java_version "$JAVA_HOME"))"
}
