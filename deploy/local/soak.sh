#!/usr/bin/env bash
# The soak and capture benchmarks of docs/benchmarks.md (not part of the tests): the stack as the e2e tests start it,
# 10M keys of mixed types with a writer at 5,000 writes/s through copy, 10 minutes of replication and the cutover, then
# redis-benchmark as the writer during a copy. Prints "SOAK | …" and "BENCHMARK-CAPTURE | …" lines; asserts no times.
#   DFM_SOAK_KEYS=10000000 DFM_SOAK_WRITES=5000 DFM_SOAK_REPLICATE=PT10M DFM_SOAK_CLIENTS=2 DFM_SOAK_PIPELINE=1 soak.sh [SoakBenchmark#soak]
# DFM_SOAK_TARGET=6.2: the target is a redis-server 6.2 (every payload of the 7.0 source re-stamped or converted).
# DFM_SOAK_COPY_MODE=snapshot: the initial copy reads the source's RDB snapshot (options.copyMode) instead of SCAN + DUMP.
# About 25 minutes and 8 GB of memory for the default sizes (source, target and the native replica).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=prereqs.sh
. deploy/local/prereqs.sh
DFM_PREREQS_BROWSER=0 DFM_PREREQS_CONTAINERS=0 dfm_prereqs
./mvnw -B -q -DskipTests install
./mvnw -B -pl e2e test -Ddfm.soak=true -Ddfm.benchmark.env="${DFM_BENCHMARK_ENV:-}" \
  -Ddfm.soak.keys="${DFM_SOAK_KEYS:-10000000}" -Ddfm.soak.writes="${DFM_SOAK_WRITES:-5000}" \
  -Ddfm.soak.replicate="${DFM_SOAK_REPLICATE:-PT10M}" -Ddfm.soak.target="${DFM_SOAK_TARGET:-}" -Ddfm.soak.copyMode="${DFM_SOAK_COPY_MODE:-}" -Ddfm.soak.benchmark-clients="${DFM_SOAK_CLIENTS:-2}" -Ddfm.soak.benchmark-pipeline="${DFM_SOAK_PIPELINE:-1}" \
  -Dtest="${1:-SoakBenchmark}" -Dsurefire.failIfNoSpecifiedTests=false | grep -E "SOAK|BENCHMARK|Tests run|ERROR" || true
