#!/usr/bin/env bash
# npm test: the whole suite (jest), after installing what it needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/install-zookeeper.sh
bash scripts/install-postgresql.sh
bash scripts/install-quartz.sh
exec npx jest --runInBand "$@"
