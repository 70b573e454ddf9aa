#!/usr/bin/env bash
# Starts the product on this machine: migrations, demo data, two Celery workers, beat and the web server.
# Ctrl-C stops everything. Uses the same environment variables as production (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

$PY manage.py migrate --no-input -v0
$PY manage.py collectstatic --no-input -v0
$PY manage.py load_demo

mkdir -p var/log
pids=()
cleanup() { trap - EXIT INT TERM; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# One worker per queue: a long generation batch never holds up embeddings and bookkeeping.
$PY -m celery -A ecomcms worker -Q generation --concurrency 1 -n generation@%h --loglevel INFO \
    >var/log/worker-generation.log 2>&1 & pids+=($!)
$PY -m celery -A ecomcms worker -Q default --concurrency 1 -n default@%h --loglevel INFO \
    >var/log/worker-default.log 2>&1 & pids+=($!)
$PY -m celery -A ecomcms beat --loglevel INFO --schedule var/celerybeat-schedule \
    >var/log/beat.log 2>&1 & pids+=($!)

echo
echo "  ecomcms is starting on http://$HOST:$PORT/"
echo "  admin:   http://$HOST:$PORT/admin/   (demo account printed above)"
echo "  health:  http://$HOST:$PORT/healthz (models are ready once the workers have loaded them; /healthz/live: the web server answers)"
echo "  logs:    var/log/worker-generation.log var/log/worker-default.log var/log/beat.log"
echo "  Ctrl-C stops the web server and the workers."
echo
$PY manage.py runserver --noreload "$HOST:$PORT" & pids+=($!)
wait -n "${pids[@]}"
