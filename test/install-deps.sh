#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only when it is missing:
# etcd (Debian etcd-server), kubectl (Debian kubernetes-client), chromium (renders the
# HTML report in the report test) and PostgreSQL (Debian postgresql: the history's
# PostgreSQL tests start their own server with its initdb and postgres). Needs root for apt-get.
# Checks Go, which builds the real control plane the test/cluster tests run (Debian's golang
# is too old; it is not installed here): missing or too old fails in CI (CI=true), elsewhere
# those tests skip and say why.
set -euo pipefail

need_go=$(awk '/^go [0-9]/{print $2; exit}' "$(dirname "$0")/../components/kubernetes/go.mod")
have_go=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)
if [ -n "$have_go" ] && [ "$(printf '%s\n%s\n' "go$need_go" "$have_go" | sort -V | head -1)" = "go$need_go" ]; then
  echo "install-deps: $have_go builds the control-plane components (needs $need_go+)"
elif [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; then
  echo "install-deps: the real control-plane tests need Go $need_go or newer (found: ${have_go:-none}); install it from https://go.dev/dl/ and put it on PATH" >&2
  exit 1
else
  echo "install-deps: warning: Go $need_go or newer not found (${have_go:-none}): the real control-plane tests (test/cluster) will be skipped"
fi

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1; }

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
have_postgres || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: etcd, kubectl, chromium and postgresql are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or install them yourself) so apt-get can install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  # The tests start their own throwaway servers: no default cluster, nothing left running.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/kbench-no-main-cluster.conf
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v etcd >/dev/null && command -v kubectl >/dev/null && command -v chromium >/dev/null && have_postgres
echo "install-deps: done ($(etcd --version | head -1); kubectl $(kubectl version --client 2>/dev/null | head -1); $(chromium --version 2>/dev/null); $(ls -d /usr/lib/postgresql/*/bin | head -1))"
