#!/usr/bin/env bash
# The whole test suite: lint, types, import layers, then pytest (unit + integration against real
# Prometheus, PostgreSQL, moto, the Kubernetes test server, helm, Chromium, and the notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/.tools/helm:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
step "ruff";          ruff check .
step "ruff format";   ruff format --check .
step "mypy (strict)"; mypy
step "import layers"; lint-imports
step "pytest";        pytest "$@"
