#!/usr/bin/env bash
# dfmigrate, the whole stack on this machine without Docker: a KRaft Kafka broker (from the kafka_2.13 jars), PostgreSQL
# (our own server from Debian's binaries, or yours with DFM_DB_URL) and the four services. Stays in the foreground;
# Ctrl-C or SIGTERM stops everything it started. Settings (environment):
#   DFM_HTTP_PORT (8080)  DFM_VALIDATOR_PORT (8081)  DFM_COPIER_PORT (8082)  DFM_REPLICATOR_PORT (8083)
#   DFM_KAFKA_PORT (19092)  DFM_KAFKA_CONTROLLER_PORT (19093)  DFM_PG_PORT (15432)
#   DFM_STATE_DIR (/var/lib/dfmigrate as root, else ~/.dfmigrate): Kafka log, PostgreSQL data, secret key, service logs
#   DFM_DB_URL / DFM_DB_USER / DFM_DB_PASSWORD: use an existing PostgreSQL instead of starting one
#   DFM_SECRET_KEY: base64 AES-256 key for credentials at rest and in events (default: generated once into the state dir)
#   DFM_EVENT_KEY: base64 256-bit HMAC key that signs phase commands and status reports (default: generated likewise)
#   DFM_KAFKA_SASL: scram to run the broker with SCRAM-SHA-512 logins only (password generated into the state dir), none (default)
#   DFM_KAFKA_TLS: mtls to run the broker with TLS and client certificates only (a CA made into the state dir), none (default);
#     with DFM_KAFKA_SASL=scram too: SCRAM logins over TLS with client certificates (SASL_SSL)
#   DFM_REBUILD=1: rebuild the services first even if they are built
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=prereqs.sh
. deploy/local/prereqs.sh
DFM_PREREQS_BROWSER=0 DFM_PREREQS_CONTAINERS=0 dfm_prereqs   # the browser is for the tests only

built=1
for m in orchestrator validator copier replicator; do
  [ -f "$m/target/quarkus-app/quarkus-run.jar" ] || built=0
done
[ -f deploy/local/target/launcher-classpath.txt ] || built=0
if [ "$built" = 0 ] || [ "${DFM_REBUILD:-0}" = 1 ]; then
  echo "dfmigrate: building (first run takes a few minutes) ..."
  ./mvnw -B -q -DskipTests install
fi

exec "$JAVA_HOME/bin/java" -Xmx256m -Ddfm.home="$ROOT" -Djava.util.logging.config.file="$ROOT/deploy/local/launcher-logging.properties" \
  -cp "deploy/local/target/classes:$(cat deploy/local/target/launcher-classpath.txt)" \
  io.dfmigrate.localstack.LocalStack
