#!/usr/bin/env bash
# dfmigrate from its Kubernetes manifests, played for real on this machine with `podman kube play` (podman + runc, no
# cluster): Kafka and PostgreSQL as pods (deploy/kubernetes/play/infra.yaml; images from Debian packages and the Kafka
# jars) and the four services from the local overlay (deploy/kubernetes/overlays/local), all on the host's network.
#   deploy/kubernetes/play.sh up               builds the images that are missing, plays Kafka, PostgreSQL and the
#                                              overlay, waits until the orchestrator is ready, prints how to authenticate
#   deploy/kubernetes/play.sh scale copier 3   runs 3 copier pods (copier, validator or replicator; 0 stops them all)
#   deploy/kubernetes/play.sh status           the played pods, their ports and states
#   deploy/kubernetes/play.sh down             removes every pod and stops Kafka and PostgreSQL: nothing is left running
# Settings (environment), with the meaning they have for deploy/local/run.sh:
#   DFM_HTTP_PORT (8080)  DFM_VALIDATOR_PORT (8081)  DFM_COPIER_PORT (8082)  DFM_REPLICATOR_PORT (8083)
#   DFM_KAFKA_PORT (19092)  DFM_KAFKA_CONTROLLER_PORT (19093)  DFM_PG_PORT (15432)  DFM_DB_URL / DFM_DB_USER / DFM_DB_PASSWORD
#   DFM_SECRET_KEY, DFM_EVENT_KEY, DFM_ORCHESTRATOR_API_TOKEN (default: generated once into the state directory)
#   DFM_STATE_DIR (/var/lib/dfmigrate-play as root, else ~/.dfmigrate-play): Kafka's and PostgreSQL's data, keys, played files
#   DFM_REBUILD=1: rebuild the jars and images even if they are built
# On the host's network every pod needs its own port: pod k of a service listens on the service's port + 10*(k-1), a
# worker's health and metrics (its management interface) 1000 above that.
# podman plays one pod per Deployment (it ignores `replicas`), so pod k>1 is the service's Deployment renamed
# dfm-<service>-k. Needs podman, runc, catatonit and mmdebstrap (installed as root when missing), kubectl (for kustomize) and a
# JDK 21+ (creates the topics with the local stack's code).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/images/containers.conf}
if [ "$(id -u)" = 0 ]; then STATE=${DFM_STATE_DIR:-/var/lib/dfmigrate-play}; else STATE=${DFM_STATE_DIR:-$HOME/.dfmigrate-play}; fi
PLAY=$STATE/play
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
SERVICES="orchestrator validator copier replicator"

say() { echo "play: $*"; }
fail() { echo "play: $*" >&2; exit 1; }
port_of() { # service [pod number]
  local base
  case $1 in
    orchestrator) base=${DFM_HTTP_PORT:-8080} ;;
    validator) base=${DFM_VALIDATOR_PORT:-8081} ;;
    copier) base=${DFM_COPIER_PORT:-8082} ;;
    replicator) base=${DFM_REPLICATOR_PORT:-8083} ;;
    *) fail "unknown service '$1' (orchestrator, validator, copier, replicator)" ;;
  esac
  echo $((base + 10 * (${2:-1} - 1)))
}
health_port_of() { # service [pod number]: where its health and metrics are (a worker's management interface: port + 1000)
  local port
  port=$(port_of "$@")
  if [ "$1" = orchestrator ]; then echo "$port"; else echo $((port + 1000)); fi
}
wait_for() { # description, timeout seconds, command...
  local what=$1 limit=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "play: timed out after ${limit}s waiting for $what" >&2; return 1; }
    sleep 1
  done
}
infra_running() { podman pod exists dfm-kafka-pod-0 2>/dev/null; }
pod_file() { echo "$PLAY/pods/$1-$2.yaml"; } # service, pod number
pods_of() { ls "$PLAY/pods/$1-"*.yaml 2>/dev/null | sed 's/.*-\([0-9]*\)\.yaml$/\1/' | sort -n; }

need_tools() {
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  command -v catatonit >/dev/null || need+=(catatonit)   # a pod's pause process (podman builds its pause image from it)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing ${need[*]} (Debian packages)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
    else
      fail "install ${need[*]} (Debian packages) first"
    fi
  fi
  command -v kubectl >/dev/null || fail "kubectl is missing (it renders the Kustomize overlay: kubectl kustomize)"
  command -v curl >/dev/null || fail "curl is missing"
}

# An image is rebuilt when it is missing, older than its service's built application, or DFM_REBUILD=1.
build_images() {
  local stale=() s created app
  if [ "${DFM_REBUILD:-0}" = 1 ]; then
    ./mvnw -B -q package -DskipTests -pl "$(echo $SERVICES | tr ' ' ',')" -am
  fi
  for s in $SERVICES; do
    [ -f "$s/target/quarkus-app/quarkus-run.jar" ] || { ./mvnw -B -q package -DskipTests -pl "$(echo $SERVICES | tr ' ' ',')" -am; break; }
  done
  for s in $SERVICES; do
    if ! podman image exists "localhost/dfmigrate/$s:$VERSION"; then stale+=("$s"); continue; fi
    created=$(podman image inspect --format '{{.Created.Unix}}' "localhost/dfmigrate/$s:$VERSION" 2>/dev/null || echo 0)
    app=$(find "$s/target/quarkus-app" -type f -printf '%T@\n' | sort -n | tail -1 | cut -d. -f1)
    [ "$app" -le "$created" ] || stale+=("$s")
  done
  if [ ${#stale[@]} -gt 0 ]; then
    say "building images: ${stale[*]}"
    DFM_LOCAL_BASE=${DFM_LOCAL_BASE:-1} DFM_SKIP_PACKAGE=1 DFM_SERVICES="${stale[*]}" deploy/images/build.sh | sed 's/^/play: /'
  fi
}

# The keys and the API token: from the environment, else generated once into the state directory (mode 0600).
keys() {
  local f
  umask 077
  for f in secret.key event.key; do
    [ -s "$STATE/$f" ] || head -c 32 /dev/urandom | base64 -w0 >"$STATE/$f"
  done
  [ -s "$STATE/api-token" ] || head -c 32 /dev/urandom | base64 -w0 | tr -d '/+=' >"$STATE/api-token"
  [ -s "$STATE/viewer-token" ] || head -c 32 /dev/urandom | base64 -w0 | tr -d '/+=' >"$STATE/viewer-token"
  umask 022
}

# Kafka's image: the JRE base and the kafka_2.13 jars of the local stack; PostgreSQL's: Debian's postgresql package.
build_infra_images() {
  local ctx cp base=localhost/dfmigrate/postgres-base:trixie
  if [ "${DFM_REBUILD:-0}" = 1 ] || ! podman image exists "localhost/dfmigrate/kafka:$VERSION"; then
    cp=deploy/local/kafka-broker/target/classes/dfmigrate/kafka-classpath.txt
    [ -f "$cp" ] || ./mvnw -B -q install -DskipTests -pl deploy/local/kafka-broker -am
    ctx=$PLAY/kafka-image
    rm -rf "$ctx" && mkdir -p "$ctx/libs"
    tr ':' '\n' <"$cp" | xargs -I{} cp {} "$ctx/libs/"
    cp deploy/images/kafka/Dockerfile deploy/images/kafka/kafka.sh "$ctx/"
    say "building localhost/dfmigrate/kafka:$VERSION"
    podman build --quiet -t "dfmigrate/kafka:$VERSION" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  if [ -z "${DFM_DB_URL:-}" ] && { [ "${DFM_REBUILD:-0}" = 1 ] || ! podman image exists "localhost/dfmigrate/postgres:$VERSION"; }; then
    if ! podman image exists "$base"; then
      local mirror tmp
      mirror=${DFM_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
      tmp=$(mktemp -d)
      say "building $base from Debian trixie packages (${mirror:-http://deb.debian.org/debian})"
      mmdebstrap --quiet --variant=apt --include=postgresql --mode=root trixie "$tmp/rootfs.tar" "${mirror:-http://deb.debian.org/debian}"
      podman import --quiet --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$tmp/rootfs.tar" "$base" >/dev/null
      rm -rf "$tmp"
    fi
    say "building localhost/dfmigrate/postgres:$VERSION"
    podman build --quiet -t "dfmigrate/postgres:$VERSION" deploy/images/postgres >/dev/null
  fi
}

# Kafka and PostgreSQL as pods (PostgreSQL only without DFM_DB_URL), then the topics.
start_infra() {
  if infra_running; then
    say "Kafka and PostgreSQL already running"
    return
  fi
  mkdir -p "$STATE/kafka" "$STATE/postgresql"
  sed -e "s|@VERSION@|$VERSION|g" -e "s|@STATE@|$STATE|g" -e "s|@KAFKA_PORT@|${DFM_KAFKA_PORT:-19092}|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|${DFM_KAFKA_CONTROLLER_PORT:-19093}|g" -e "s|@PG_PORT@|${DFM_PG_PORT:-15432}|g" \
    deploy/kubernetes/play/infra.yaml >"$PLAY/infra.yaml"
  if [ -n "${DFM_DB_URL:-}" ]; then
    awk 'BEGIN{RS="\n---\n"; ORS="\n---\n"} !/name: dfm-postgres\n/' "$PLAY/infra.yaml" >"$PLAY/infra.tmp" && mv "$PLAY/infra.tmp" "$PLAY/infra.yaml"
  fi
  say "podman kube play Kafka${DFM_DB_URL:- and PostgreSQL} (data in $STATE)"
  podman kube play --quiet --replace "$PLAY/infra.yaml" >/dev/null
  if [ -z "${DFM_DB_URL:-}" ]; then
    wait_for "PostgreSQL on port ${DFM_PG_PORT:-15432} (podman logs dfm-postgres-pod-0-postgres)" 180 \
      bash -c "podman logs dfm-postgres-pod-0-postgres 2>&1 | grep -q 'dfm-postgres: ready'"
  fi
  [ -f deploy/local/target/launcher-classpath.txt ] || ./mvnw -B -q install -DskipTests -pl deploy/local -am
  # shellcheck source=../local/prereqs.sh
  . deploy/local/prereqs.sh
  dfm_select_jdk
  wait_for "Kafka on port ${DFM_KAFKA_PORT:-19092} to take the topics (podman logs dfm-kafka-pod-0-kafka)" 180 \
    "$JAVA_HOME/bin/java" -cp "deploy/local/target/classes:$(cat deploy/local/target/launcher-classpath.txt)" \
    io.dfmigrate.localstack.KafkaBroker "127.0.0.1:${DFM_KAFKA_PORT:-19092}"
}

# Renders the local overlay with this run's ports and keys into $PLAY: the ConfigMap, one file per pod, the Secret as
# a podman secret (podman 4.3 stores a played Secret as YAML and then cannot read it back: secretKeyRef wants a podman
# secret holding a JSON object of key -> base64 value).
render() {
  local secret_key event_key token jdbc db_user db_password overlay=$PLAY/overlay s
  secret_key=${DFM_SECRET_KEY:-$(cat "$STATE/secret.key")}
  event_key=${DFM_EVENT_KEY:-$(cat "$STATE/event.key")}
  token=${DFM_ORCHESTRATOR_API_TOKEN:-$(cat "$STATE/api-token")}
  jdbc=${DFM_DB_URL:-jdbc:postgresql://127.0.0.1:${DFM_PG_PORT:-15432}/dfmigrate}
  db_user=dfm db_password=
  if [ -n "${DFM_DB_URL:-}" ]; then db_user=${DFM_DB_USER:-dfm} db_password=${DFM_DB_PASSWORD:-}; fi
  rm -rf "$overlay" && mkdir -p "$overlay" "$PLAY/pods"
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources:"
    echo "  - $(realpath --relative-to="$overlay" "$ROOT/deploy/kubernetes/overlays/local")" # kustomize refuses absolute paths
    echo "configMapGenerator:"
    echo "  - name: dfmigrate-config"
    echo "    behavior: merge"
    echo "    literals:"
    echo "      - KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${DFM_KAFKA_PORT:-19092}"
    echo "      - QUARKUS_DATASOURCE_JDBC_URL=$jdbc"
    echo "generatorOptions:"
    echo "  disableNameSuffixHash: true"
    echo "patches:"
    for s in $SERVICES; do
      echo "  - path: port-$s.yaml"
      local port health
      port=$(port_of "$s")
      health=$(health_port_of "$s")
      cat >"$overlay/port-$s.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dfm-$s
spec:
  template:
    spec:
      containers:
        - name: $s
          env:
            - name: QUARKUS_HTTP_PORT
              value: "$port"
$(if [ "$s" != orchestrator ]; then printf '            - name: QUARKUS_MANAGEMENT_PORT\n              value: "%s"\n' "$health"; fi)
          startupProbe: {httpGet: {port: $health}}
          livenessProbe: {httpGet: {port: $health}}
          readinessProbe: {httpGet: {port: $health}}
YAML
    done
  } >"$overlay/kustomization.yaml"
  kubectl kustomize "$overlay" >"$PLAY/rendered.yaml"
  # one file per document: the ConfigMap, and each Deployment as pod 1 of its service (the Secret template is dropped)
  awk -v dir="$PLAY" 'BEGIN{RS="\n---\n"} /(^|\n)kind: ConfigMap\n/{print > (dir "/config.yaml")}
       /(^|\n)kind: Deployment\n/{match($0, /\n  name: dfm-[a-z]+\n/); n=substr($0, RSTART+13, RLENGTH-14); print > (dir "/pods/" n "-1.yaml")}' \
    "$PLAY/rendered.yaml"
  rm -f "$PLAY/rendered.yaml"
  # podman plays an emptyDir as a named volume: one per pod, not one "tmp" shared by all (removed by `down`)
  for s in $SERVICES; do
    sed -i "s/^\( *- \)\?\( *\)name: tmp\$/\1\2name: dfm-$s-tmp/" "$(pod_file "$s" 1)"
  done
  b64() { printf '%s' "$1" | base64 -w0; }
  podman secret rm dfmigrate-secrets >/dev/null 2>&1 || true
  printf '{"DFM_SECRET_KEY":"%s","DFM_EVENT_KEY":"%s","DFM_ORCHESTRATOR_API_TOKEN":"%s","DFM_ORCHESTRATOR_VIEWER_TOKEN":"%s","QUARKUS_DATASOURCE_USERNAME":"%s","QUARKUS_DATASOURCE_PASSWORD":"%s"}' \
    "$(b64 "$secret_key")" "$(b64 "$event_key")" "$(b64 "$token")" "$(b64 "$(cat "$STATE/viewer-token")")" "$(b64 "$db_user")" "$(b64 "$db_password")" \
    | podman secret create dfmigrate-secrets - >/dev/null
}

# Pod k of a service: its Deployment renamed dfm-<service>-k, listening on its own port.
pod_yaml() { # service, pod number
  local first second first_health second_health
  first=$(port_of "$1" 1)
  second=$(port_of "$1" "$2")
  first_health=$(health_port_of "$1" 1)
  second_health=$(health_port_of "$1" "$2")
  sed -e "s/^  name: dfm-$1\$/  name: dfm-$1-$2/" -e "s/\\b$first\\b/$second/g" -e "s/\\b$first_health\\b/$second_health/g" \
    -e "s/name: dfm-$1-tmp\$/name: dfm-$1-$2-tmp/" \
    "$(pod_file "$1" 1)" >"$(pod_file "$1" "$2")"
}

play_pod() { # service, pod number
  [ "$2" = 1 ] || [ -f "$(pod_file "$1" "$2")" ] || pod_yaml "$1" "$2"
  # without systemd podman cannot run the probes as health checks: it says so for every pod, the pods run regardless
  podman kube play --quiet --replace --configmap "$PLAY/config.yaml" "$(pod_file "$1" "$2")" 2>&1 >/dev/null \
    | { grep -v 'unable to get systemd connection' || true; } >&2
}

stop_pod() { # service, pod number
  podman kube down "$(pod_file "$1" "$2")" >/dev/null 2>&1 || true
  if [ "$2" = 1 ]; then podman volume rm -f "dfm-$1-tmp" >/dev/null 2>&1 || true; else podman volume rm -f "dfm-$1-$2-tmp" >/dev/null 2>&1 || true; fi
  [ "$2" = 1 ] || rm -f "$(pod_file "$1" "$2")"
}

ready() { curl -fsS "http://127.0.0.1:$1/q/health/ready" >/dev/null 2>&1; }

up() {
  need_tools
  mkdir -p "$PLAY"
  chmod 700 "$STATE"
  keys
  build_images
  build_infra_images
  start_infra
  render
  local s
  for s in $SERVICES; do
    say "podman kube play dfm-$s"
    play_pod "$s" 1
  done
  for s in $SERVICES; do
    wait_for "dfm-$s to be ready on port $(health_port_of "$s") (podman logs dfm-$s-pod-$s)" 300 ready "$(health_port_of "$s")"
  done
  local url="http://127.0.0.1:$(port_of orchestrator)"
  say "ready — orchestrator at $url (console $url/console/, API $url/api/migrations)"
  if [ -n "${DFM_ORCHESTRATOR_API_TOKEN:-}" ]; then
    say "every API call needs the token: curl -H \"Authorization: Bearer \$DFM_ORCHESTRATOR_API_TOKEN\" $url/api/migrations"
  else
    say "every API call needs the token: TOKEN=\$(cat $STATE/api-token); curl -H \"Authorization: Bearer \$TOKEN\" $url/api/migrations"
  fi
  say "scale with: deploy/kubernetes/play.sh scale copier 3; stop everything with: deploy/kubernetes/play.sh down"
}

scale() { # service, replicas
  local s=${1:-} n=${2:-} k
  case $s in validator | copier | replicator) ;; *) fail "scale: copier, validator or replicator (the orchestrator runs one pod here: its port is the API's)" ;; esac
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -le 12 ] || fail "scale: replicas must be 0..12 (the partitions are the ceiling)"
  [ -f "$(pod_file "$s" 1)" ] || fail "nothing played: run deploy/kubernetes/play.sh up first"
  for k in $(pods_of "$s"); do
    if [ "$k" -gt "$n" ]; then
      say "stopping dfm-$s pod $k"
      stop_pod "$s" "$k"
    fi
  done
  for k in $(seq 1 "$n"); do
    if ! podman pod exists "$(pod_name "$s" "$k")"; then
      say "starting dfm-$s pod $k on port $(port_of "$s" "$k")"
      play_pod "$s" "$k"
    fi
  done
  for k in $(seq 1 "$n"); do
    wait_for "dfm-$s pod $k to be ready on port $(health_port_of "$s" "$k")" 300 ready "$(health_port_of "$s" "$k")"
  done
  say "$s: $n pod(s) ready"
}

# podman 4.3 names the pod of Deployment D "D-pod-0" and its container "D-pod-0-<container>"
pod_name() { if [ "$2" = 1 ]; then echo "dfm-$1-pod-0"; else echo "dfm-$1-$2-pod-0"; fi; }

status() {
  local s k p
  for p in dfm-kafka-pod-0 dfm-postgres-pod-0; do
    printf 'play: %-22s %-10s %s\n' "$p" "" "$(podman pod inspect --format '{{.State}}' "$p" 2>/dev/null || echo absent)"
  done
  for s in $SERVICES; do
    for k in $(pods_of "$s"); do
      printf 'play: %-22s port %-5s %s\n' "$(pod_name "$s" "$k")" "$(port_of "$s" "$k")" \
        "$(podman pod inspect --format '{{.State}}' "$(pod_name "$s" "$k")" 2>/dev/null || echo absent)"
    done
  done
}

down() {
  local s k
  if [ -d "$PLAY/pods" ]; then
    for s in $SERVICES; do
      for k in $(pods_of "$s"); do
        say "removing $(pod_name "$s" "$k")"
        stop_pod "$s" "$k"
      done
    done
    rm -f "$PLAY"/pods/*.yaml
  fi
  if command -v podman >/dev/null; then
    podman secret rm dfmigrate-secrets >/dev/null 2>&1 || true
    if [ -f "$PLAY/infra.yaml" ]; then
      say "removing Kafka and PostgreSQL (their data stays in $STATE)"
      podman kube down "$PLAY/infra.yaml" >/dev/null 2>&1 || true
    fi
  fi
  say "down: nothing of the play is running"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  scale) shift; scale "$@" ;;
  status) status ;;
  *) echo "usage: deploy/kubernetes/play.sh up | down | scale <copier|validator|replicator> <replicas> | status" >&2; exit 2 ;;
esac
