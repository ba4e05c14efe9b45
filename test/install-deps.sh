#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only when it is missing:
# etcd (Debian etcd-server), kubectl (Debian kubernetes-client), chromium (renders the
# HTML report in the report test) and PostgreSQL (Debian postgresql: the history's
# PostgreSQL tests start their own server with its initdb and postgres). Needs root for apt-get.
set -euo pipefail

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
