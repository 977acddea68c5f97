#!/usr/bin/env bash
# The HTML report's test opens the report in a real headless Chromium: Debian's `chromium`
# package. Installs it when /usr/bin/chromium is missing (apt-get, non-interactive; as root, or
# through sudo when it needs no password). Run by `npm test` (pretest) and by .ci/run.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "the HTML report's browser test needs Debian's chromium package: run as root, or install it with 'apt-get install chromium'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
${as_root[@]+"${as_root[@]}"} apt-get update -qq
${as_root[@]+"${as_root[@]}"} apt-get install -y -qq --no-install-recommends chromium
