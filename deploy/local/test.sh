#!/usr/bin/env bash
# The test command: installs what is missing (see prereqs.sh), then builds everything and runs every test, including
# the end-to-end tests that start Kafka, PostgreSQL, redis-servers and the four services as separate processes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=prereqs.sh
. deploy/local/prereqs.sh
dfm_prereqs
# Redis 8.0 and Valkey 8.1 from Debian trixie for the cross-version tests (built once, about a minute)
deploy/local/servers.sh
# -T 2: the services' modules test two at a time once common is built (the e2e module waits for all of them)
exec ./mvnw -B -T 2 verify "$@"
