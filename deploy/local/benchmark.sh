#!/usr/bin/env bash
# The copy benchmark of docs/benchmarks.md: starts the stack like the e2e tests, loads each dataset into a source
# redis-server, measures native replication (REPLICAOF) and the dfmigrate copy in the same run, and prints one
# "BENCHMARK | …" line per dataset. Takes several minutes. One dataset: benchmark.sh 'CopyBenchmark#strings1M'.
# Other service settings: DFM_BENCHMARK_ENV="DFM_COPIER_SCAN_COUNT=10000;DFM_COPIER_CONCURRENCY=16" benchmark.sh
# The copy from the source's RDB snapshot instead of SCAN + DUMP: DFM_BENCHMARK_COPY_MODE=snapshot benchmark.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=prereqs.sh
. deploy/local/prereqs.sh
DFM_PREREQS_BROWSER=0 DFM_PREREQS_CONTAINERS=0 dfm_prereqs
./mvnw -B -q -DskipTests install
./mvnw -B -pl e2e test -Ddfm.benchmark=true -Ddfm.benchmark.env="${DFM_BENCHMARK_ENV:-}" -Ddfm.benchmark.copyMode="${DFM_BENCHMARK_COPY_MODE:-}" -Dtest="${1:-CopyBenchmark}" -Dsurefire.failIfNoSpecifiedTests=false | grep -E "BENCHMARK|Tests run|ERROR" || true
