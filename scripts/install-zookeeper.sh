#!/usr/bin/env bash
# Installs Debian's zookeeper package (the server the tests and the demo start) when it is missing.
set -euo pipefail
if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian's zookeeper package..."
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q zookeeper
