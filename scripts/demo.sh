#!/usr/bin/env bash
# npm run demo: the sample app against ZK_SERVERS, or against a ZooKeeper started here when none is given.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
[ -n "${ZK_SERVERS:-}" ] || bash scripts/install-zookeeper.sh
npx tsc -p tsconfig.apps.json
exec node .build/sample-app/demo.js
