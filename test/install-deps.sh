#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only when it is missing:
# etcd (Debian etcd-server), kubectl (Debian kubernetes-client) and chromium (renders the
# HTML report in the report test). Needs root for apt-get.
set -euo pipefail

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: etcd, kubectl and chromium are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or install them yourself) so apt-get can install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v etcd >/dev/null && command -v kubectl >/dev/null && command -v chromium >/dev/null
echo "install-deps: done ($(etcd --version | head -1); kubectl $(kubectl version --client 2>/dev/null | head -1); $(chromium --version 2>/dev/null))"
