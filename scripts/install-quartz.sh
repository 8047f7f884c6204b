#!/usr/bin/env bash
# Installs Debian's Quartz (libquartz2-java), the oracle of the differential cron test, when it is missing.
set -euo pipefail
if [ -f /usr/share/java/quartz2.jar ] && command -v javac >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian's libquartz2-java package..."
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libquartz2-java default-jdk-headless
