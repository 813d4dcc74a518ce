#!/usr/bin/env bash
# Plays the Kubernetes manifests for real on this machine: builds the four images (local JRE base from Debian packages),
# starts the local stack's Kafka and PostgreSQL, renders deploy/kubernetes/overlays/local and runs it with
# `podman kube play` (podman + runc, deploy/images/containers.conf), then drives one migration through the API of the
# orchestrator pod: two redis-servers, validate, start, REPLICATING under writes, cutover, DEBUG DIGEST compared.
# Needs: podman, runc, mmdebstrap (deploy/local/prereqs.sh installs the rest), kubectl (for `kubectl kustomize`).
#   DFM_PLAY_KEEP=1: leave everything running at the end (stop with Ctrl-C)
#   DFM_SKIP_IMAGES=1: use the images already built
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/images/containers.conf}
for tool in podman kubectl redis-server redis-cli curl; do
  command -v "$tool" >/dev/null || { echo "play-local: $tool is missing" >&2; exit 2; }
done
STATE=$(mktemp -d /var/tmp/dfm-play.XXXXXX)
chmod 755 "$STATE"
LAUNCHER=
PLAYED=
SRC_PORT=26379
TGT_PORT=26380
cleanup() {
  set +e
  [ -n "$PLAYED" ] && podman kube down "$STATE/local.yaml" >/dev/null 2>&1
  podman secret rm dfmigrate-secrets >/dev/null 2>&1
  [ -n "$LAUNCHER" ] && kill "$LAUNCHER" 2>/dev/null && wait "$LAUNCHER" 2>/dev/null
  redis-cli -p $SRC_PORT shutdown nosave >/dev/null 2>&1
  redis-cli -p $TGT_PORT shutdown nosave >/dev/null 2>&1
}
trap cleanup EXIT
wait_for() { # description, timeout seconds, command...
  local what=$1 limit=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then echo "play-local: timed out waiting for $what" >&2; return 1; fi
    sleep 1
  done
}

if [ "${DFM_SKIP_IMAGES:-0}" != 1 ]; then
  DFM_LOCAL_BASE=1 deploy/images/build.sh
fi

echo "play-local: starting Kafka and PostgreSQL (state in $STATE)"
DFM_STATE_DIR="$STATE" DFM_INFRA_ONLY=1 deploy/local/run.sh >"$STATE/launcher.log" 2>&1 &
LAUNCHER=$!
wait_for "the infrastructure" 300 grep -q "infrastructure ready" "$STATE/launcher.log" || { cat "$STATE/launcher.log"; exit 1; }

TOKEN=$(cat "$STATE/api-token")
OVERLAY=deploy/kubernetes/overlays/local
umask 077
cat >"$OVERLAY/secrets.env" <<ENV
DFM_SECRET_KEY=$(cat "$STATE/secret.key")
DFM_EVENT_KEY=$(cat "$STATE/event.key")
DFM_ORCHESTRATOR_API_TOKEN=$TOKEN
QUARKUS_DATASOURCE_USERNAME=dfm
QUARKUS_DATASOURCE_PASSWORD=
ENV
kubectl kustomize "$OVERLAY" >"$STATE/rendered.yaml" # holds the keys: written under umask 077, removed below
umask 022
rm -f "$OVERLAY/secrets.env"
# podman 4.3 stores a played Secret as YAML and then cannot read it back: secretKeyRef wants a podman secret holding a
# JSON object of key → base64 value. So the Secret goes in that way, and the rest is played as rendered.
awk 'BEGIN{RS="\n---\n"; ORS="\n---\n"} !/(^|\n)kind: Secret\n/' "$STATE/rendered.yaml" >"$STATE/local.yaml"
rm -f "$STATE/rendered.yaml"
b64() { printf '%s' "$1" | base64 -w0; }
podman secret rm dfmigrate-secrets >/dev/null 2>&1 || true
printf '{"DFM_SECRET_KEY":"%s","DFM_EVENT_KEY":"%s","DFM_ORCHESTRATOR_API_TOKEN":"%s","QUARKUS_DATASOURCE_USERNAME":"%s","QUARKUS_DATASOURCE_PASSWORD":""}' \
  "$(b64 "$(cat "$STATE/secret.key")")" "$(b64 "$(cat "$STATE/event.key")")" "$(b64 "$TOKEN")" "$(b64 dfm)" | podman secret create dfmigrate-secrets - >/dev/null
echo "play-local: podman kube play ($(grep -c '^kind: Deployment' "$STATE/local.yaml") Deployments)"
PLAYED=1
podman kube play --quiet "$STATE/local.yaml" >/dev/null
wait_for "the orchestrator pod to be ready" 300 curl -fsS http://127.0.0.1:8080/q/health/ready
for port in 8081 8082 8083; do
  wait_for "the worker on $port to be ready" 300 curl -fsS "http://127.0.0.1:$port/q/health/ready"
done
podman ps --format '{{.Names}} {{.Image}} {{.Status}}' | grep dfm- || true

API=http://127.0.0.1:8080/api/migrations
call() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
state() { call "$API/$ID" | grep -o '"state":"[A-Z_]*"' | head -1 | cut -d'"' -f4; } # the migration's, the first one
is_state() { [ "$(state)" = "$1" ]; }

redis-server --port $SRC_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --enable-debug-command yes --notify-keyspace-events KEA >/dev/null
redis-server --port $TGT_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --enable-debug-command yes >/dev/null
wait_for "the redis-servers" 30 redis-cli -p $TGT_PORT ping
redis-cli -p $SRC_PORT DEBUG POPULATE 100000 key 64 >/dev/null
redis-cli -p $SRC_PORT EVAL "for i=1,1000 do redis.call('HSET','h:'..i,'a',i,'b',i*2) redis.call('EXPIRE','h:'..i,86400) end" 0 >/dev/null

ID=$(call -X POST "$API" -d "{\"name\":\"kube-play\",\"source\":{\"uri\":\"redis://127.0.0.1:$SRC_PORT\"},\"target\":{\"uri\":\"redis://127.0.0.1:$TGT_PORT\"}}" \
  | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
echo "play-local: migration $ID created"
call -X POST "$API/$ID/validate" >/dev/null
wait_for "VALIDATED" 120 is_state VALIDATED
call -X POST "$API/$ID/start" -d '{"acknowledgeWarnings":true}' >/dev/null
( for i in $(seq 1 3000); do redis-cli -p $SRC_PORT SET "live:$i" "$i" >/dev/null; done ) &
WRITER=$!
wait_for "REPLICATING" 300 is_state REPLICATING
wait "$WRITER"
sleep 5 # the last changes reach the target within the report interval
call -X POST "$API/$ID/complete" -d '{"cutover":true}' >/dev/null
wait_for "COMPLETED" 120 is_state COMPLETED
redis-cli -p $SRC_PORT --scan >/dev/null
redis-cli -p $TGT_PORT --scan >/dev/null
SRC_DIGEST=$(redis-cli -p $SRC_PORT DEBUG DIGEST)
TGT_DIGEST=$(redis-cli -p $TGT_PORT DEBUG DIGEST)
echo "play-local: $(redis-cli -p $SRC_PORT DBSIZE) keys on the source, $(redis-cli -p $TGT_PORT DBSIZE) on the target"
call "$API/$ID" | grep -o '"cutover":{[^}]*}' || true
if [ "$SRC_DIGEST" != "$TGT_DIGEST" ]; then
  echo "play-local: FAILED: DEBUG DIGEST differs ($SRC_DIGEST vs $TGT_DIGEST)" >&2
  exit 1
fi
echo "play-local: OK: migration through the played pods COMPLETED, DEBUG DIGEST equal ($SRC_DIGEST)"
if [ "${DFM_PLAY_KEEP:-0}" = 1 ]; then
  echo "play-local: still running (orchestrator http://127.0.0.1:8080, TOKEN=\$(cat $STATE/api-token)); Ctrl-C stops it"
  wait "$LAUNCHER"
fi
