#!/usr/bin/env bash
# `npm test` builds the real control-plane components here, once for the whole suite, before
# any test file runs (cold: tens of minutes on 2 cores, go's own parallelism; cached: seconds).
# The test/cluster files then find them in the cache. Without Go this fails in CI (CI=true);
# elsewhere it says the real control-plane tests will be skipped (each file says so too).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! have_go=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || [ -z "$have_go" ]; then
  if [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; then
    echo "test/cluster/prebuild.sh: no usable go command: the real control-plane tests need Go 1.26+ in CI (see README)" >&2
    exit 1
  fi
  echo "test/cluster/prebuild.sh: no usable go command: the real control-plane tests (test/cluster) will be skipped"
  exit 0
fi
start=$(date +%s)
node dist/cli/main.js cluster build
echo "test/cluster/prebuild.sh: components ready in $(( $(date +%s) - start )) s"
