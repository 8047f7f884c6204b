#!/usr/bin/env bash
# Lays out test/compat/nest12 as an app that depends on NestJS 12 and on this package as npm would install it
# (the compiled library copied under node_modules/nestjs-elasticjob), so that a test can run it as a real process.
set -euo pipefail
cd "$(dirname "$0")/.."
compat=test/compat/nest12
if [ ! -f "$compat/node_modules/.package-lock.json" ] || [ "$compat/package-lock.json" -nt "$compat/node_modules/.package-lock.json" ]; then
  (cd "$compat" && npm ci --no-audit --no-fund)
fi
target="$compat/node_modules/nestjs-elasticjob"
rm -rf "$target"
mkdir -p "$target/dist"
cp -R .build/lib/. "$target/dist/"
cp package.json "$target/package.json"
