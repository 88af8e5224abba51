#!/usr/bin/env bash
# ./run-tests.sh         runs every test. Installs and starts what the tests need first (Debian packages, as root):
#   python3-pil + python3-numpy  (PNG fixtures written by another encoder)
#   python3-pytest, python3-torch, mypy, python3-pip, python3-setuptools, python3-venv
#                                (the Python client's unit tests, its DDP metric test and its offline pip install)
#   postgresql                   (the cluster tests also run against a real PostgreSQL journal)
#   chromium                     (the dashboard is tested in a real headless browser)
# ./run-tests.sh --fast  the fast lane: needs nothing but the .NET SDK (no root, no installs, no services);
#   leaves out the tests marked [Trait("Category", "Services")] (root, PostgreSQL, Chromium, Python, node processes)
#   and [Trait("Category", "Slow")] (in-process multi-node clusters).
# Any further arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "${1:-}" = "--fast" ]; then
  shift
  exec dotnet test Evaluator.sln -c Release --filter "Category!=Services&Category!=Slow" "$@"
fi

need=()
/usr/bin/python3 -c "import PIL, numpy" 2>/dev/null || need+=(python3-pil python3-numpy)
/usr/bin/python3 -c "import pytest, torch, mypy" 2>/dev/null || need+=(python3-pytest python3-torch mypy)
/usr/bin/python3 -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('pip') and u.find_spec('setuptools') and u.find_spec('ensurepip')))" 2>/dev/null \
  || need+=(python3-pip python3-setuptools python3-venv)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Start the Debian PostgreSQL cluster (idempotent) and make the test role and database.
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
pg_lsclusters -h 2>/dev/null | grep -q . || pg_createcluster "$pg_version" main >/dev/null
pg_ctlcluster "$pg_version" main start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='evaluator'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE evaluator LOGIN PASSWORD 'evaluator' CREATEDB\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='evaluator_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O evaluator evaluator_test"
export EVALUATOR_TEST_POSTGRES="Host=127.0.0.1;Port=5432;Username=evaluator;Password=evaluator;Database=evaluator_test"

dotnet test Evaluator.sln -c Release "$@"
