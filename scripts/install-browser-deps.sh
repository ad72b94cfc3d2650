#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (never `playwright install`)
# and axe-core from the npm registry (into tests/browser/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium is missing: install Debian's 'chromium' package (browser tests will be skipped)" >&2
  fi
fi

# WeasyPrint (the reports' PDF, issue 16) needs Pango and a CJK font; without them the
# portal still runs and the report page offers the browser's own print instead.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
      fonts-noto-cjk >/dev/null
  else
    echo "Pango is missing: install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk (report PDFs)" >&2
  fi
fi

if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    (cd tests/browser && npm install --no-audit --no-fund --silent >/dev/null)
  else
    echo "npm is missing: accessibility checks will be skipped" >&2
  fi
fi
