#!/usr/bin/env bash
# Starts the product on this machine: migrations, demo data, two Celery workers, beat and the web server.
# Ctrl-C, or `make stop` (`scripts/run.sh stop`) from another terminal, stops every process it started
# and exits 0. Uses the same environment variables as production (see README).
#
# var/run.pids holds this script's pid, then one line per process it started (each is the leader of
# its own process group, so a Celery worker's pool processes go with it). `stop` asks the script to
# stop; if the script is gone (killed with SIGKILL), it stops the recorded process groups itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# The generation layout bench/generation.py found best on a 2-core machine (docs/performance.md): one
# generation process per core, one torch thread each, batches of 32, bfloat16 weights and compute
# where the CPU has bf16 instructions (ECOMCMS_TEXT_DTYPE=auto, the default; float32 elsewhere).
# bfloat16 at batch 32 made 1.9x the tokens per CPU-second of float32 at batch 16 (2026-12-07),
# with unsupported claims and chrF within noise of float32 on 100 dev products. Peak RSS per process:
# about 1.1-1.2 GB at batch 32, 1.0 GB at 16, 0.9 GB at 8 (lower ECOMCMS_GENERATION_BATCH_SIZE if memory is tight). Every process gets
# the batch size: the web process counts tasks with it.
export ECOMCMS_GENERATION_BATCH_SIZE="${ECOMCMS_GENERATION_BATCH_SIZE:-32}"
export ECOMCMS_TORCH_THREADS="${ECOMCMS_TORCH_THREADS:-1}"
export ECOMCMS_TEXT_DTYPE="${ECOMCMS_TEXT_DTYPE:-auto}"
GENERATION_PROCESSES="${GENERATION_PROCESSES:-$(nproc)}"
PIDS=var/run.pids
STOP_SECONDS="${STOP_SECONDS:-20}"  # then SIGKILL: tasks are acknowledged late, the broker and sweepers redeliver

alive() { kill -0 "$1" 2>/dev/null; }

# Ends the process groups named in $@: SIGTERM, up to STOP_SECONDS for them to exit, then SIGKILL.
stop_groups() {
  local pid waited=0
  for pid in "$@"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    local left=()
    for pid in "$@"; do kill -0 -- "-$pid" 2>/dev/null && left+=("$pid"); done
    [[ ${#left[@]} -eq 0 ]] && return 0
    if (( waited >= STOP_SECONDS * 10 )); then
      echo "  still running after ${STOP_SECONDS}s, killing: ${left[*]}" >&2
      for pid in "${left[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
      return 0
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# The pid of a live `scripts/run.sh` recorded in var/run.pids (not a reused pid), or nothing.
running_script() {
  [[ -f $PIDS ]] || return 0
  local pid
  pid="$(head -n1 "$PIDS")"
  if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "run.sh"; then
    echo "$pid"
  fi
}

# Ctrl-C: the terminal sends SIGINT to its whole foreground process group, make included, and make
# then dies of it whatever this script does. So, on a terminal, the script runs itself as a job of
# its own (job control hands it the terminal): Ctrl-C reaches it alone, it stops everything and
# exits 0, and so does make.
if [[ ${1:-} != stop && ${1:-} != --job && -t 0 ]]; then
  set -m
  bash "$0" --job
  exit $?
fi

if [[ ${1:-} == stop ]]; then
  script="$(running_script)"
  if [[ -n $script ]]; then
    echo "stopping ecomcms (pid $script) ..."
    kill -TERM "$script"
    for _ in $(seq $(( (STOP_SECONDS + 10) * 10 ))); do alive "$script" || break; sleep 0.1; done
    if alive "$script"; then echo "ecomcms (pid $script) did not stop" >&2; exit 1; fi
    echo "stopped"
  elif [[ -f $PIDS ]]; then
    mapfile -t recorded < <(tail -n +2 "$PIDS")
    if [[ ${#recorded[@]} -gt 0 ]]; then
      echo "the run script is gone; stopping what it started: ${recorded[*]}"
      stop_groups "${recorded[@]}"
    fi
    rm -f "$PIDS"
    echo "stopped"
  else
    echo "ecomcms is not running (no $PIDS)"
  fi
  exit 0
fi

mkdir -p var/log
if [[ -n "$(running_script)" ]]; then
  echo "ecomcms is already running (pid $(running_script)); stop it first: make stop" >&2
  exit 1
fi
echo $$ >"$PIDS"
pids=()
stopping=""
shutdown() {
  [[ -n $stopping ]] && return 0
  stopping=1
  trap '' INT TERM  # a second Ctrl-C does not cut the shutdown short
  set +m  # no "[1] Terminated" line per process
  if [[ ${#pids[@]} -gt 0 ]]; then
    echo
    echo "  stopping the web server, the workers and beat ..."
    stop_groups "${pids[@]}"
  fi
  rm -f "$PIDS"
}
trap 'shutdown; exit 0' INT TERM  # Ctrl-C or `make stop`: a clean stop, exit 0
trap 'status=$?; shutdown; exit $status' EXIT  # a process that died by itself: the others stop too

$PY manage.py migrate --no-input -v0
$PY manage.py collectstatic --no-input -v0
$PY manage.py load_demo

# Each background process leads its own process group (job control), so stopping it stops its
# children too (a Celery worker's pool), and a Ctrl-C reaches only this script, which stops them in turn.
set -m
start() { "$@" & pids+=($!); echo "$!" >>"$PIDS"; }

# One worker per queue: a long generation batch never holds up embeddings and bookkeeping.
start $PY -m celery -A ecomcms worker -Q generation --concurrency "$GENERATION_PROCESSES" -n generation@%h --loglevel INFO \
    >var/log/worker-generation.log 2>&1
start $PY -m celery -A ecomcms worker -Q default --concurrency 1 -n default@%h --loglevel INFO \
    >var/log/worker-default.log 2>&1
start $PY -m celery -A ecomcms beat --loglevel INFO --schedule var/celerybeat-schedule \
    >var/log/beat.log 2>&1

echo
echo "  ecomcms is starting on http://$HOST:$PORT/"
echo "  admin:   http://$HOST:$PORT/admin/   (demo account printed above)"
echo "  health:  http://$HOST:$PORT/healthz (models are ready once the workers have loaded them; /healthz/live: the web server answers)"
echo "  logs:    var/log/worker-generation.log var/log/worker-default.log var/log/beat.log"
echo "  Ctrl-C (or make stop in another terminal) stops the web server and the workers."
echo
start $PY manage.py runserver --noreload "$HOST:$PORT"
set +e
wait -n "${pids[@]}"
status=$?
echo "  a process exited by itself (status $status); stopping the others" >&2
exit "$status"
