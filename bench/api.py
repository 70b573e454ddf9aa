"""The storefront API under its production server, next to a trivial endpoint in the same server and run.

    .venv/bin/python bench/api.py [--databases sqlite,postgres] [--duration 10] [--connections 8]
        [--workers N] [--products 2000] [--batches 100,250,500] [--compare-root PATH] [--variants uncached,conn0]
        [--endpoints list,detail,if-none-match,similar,bought-together,customer,session,events]
        [--postgres-url postgres://postgres@127.0.0.1:5432/ecomcms_api] [--profile]

For each database (a fresh SQLite file in a temporary ECOMCMS_DATA_DIR; PostgreSQL in a database the
bench drops and creates, ``ecomcms_api`` by default, never ``ecomcms`` or ``test_ecomcms``) it seeds
--products products with published copy, purchases for the recommender and a trained, active
recommender version, starts gunicorn on 127.0.0.1 as deployed (``deploy/gunicorn.conf.py``: 2 x
cores + 1 sync workers unless --workers says otherwise) and loads each endpoint with ``wrk`` (Debian
package ``wrk``) from a second process: 2 threads, --connections connections, --duration seconds after
a warm-up (every path asked for 24 times, then 1 s of load: the caches are warm, as in a storefront's
steady state; ``--variants uncached`` measures the same requests without the cache). It prints requests/s,
p50 and p99 latency, and each endpoint's requests/s relative to the trivial endpoint
(``/healthz/live``: the same middleware, no database) measured in the same server, and checks
each against issue 17's goals:

- product list: p99 < 50 ms and >= 0.5x the trivial endpoint; product detail >= 0.6x;
- recommendation endpoints: p99 < 50 ms;
- event ingestion: >= 10,000 events/s in batches of 100 to 500, idempotency kept (every event
  stored once: every answered event is in the database, and a re-sent batch adds nothing).

Same-run comparisons:

- ``--variants uncached,conn0``: more servers of the same code serve the trivial endpoint, the list
  and the detail too: ``uncached`` with the catalogue cache off (``API_CATALOG_CACHE_SECONDS=0``),
  ``conn0`` with a new database connection per request (``DATABASE_CONN_MAX_AGE=0``, the default
  on SQLite; the product server runs with 60, as docs/deployment.md does);
- ``--compare-root PATH``: a third server runs another checkout of the project (e.g. ``git worktree
  add /tmp/before <commit>``) on the same database, for before/after numbers in one run.

``--profile``: instead of loading a server, profiles each endpoint in this process (cProfile counting
this process's CPU, through Django's test client), the list and the product with and without the cache,
and prints the top functions.
Throttling is set out of reach; only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/ecomcms_api"
FORBIDDEN_DATABASES = {"ecomcms", "test_ecomcms", "postgres", "template0", "template1"}

LUA = """
local paths = {%(paths)s}
local slugs = {%(slugs)s}
local batch = %(batch)d
local thread_id, sent, counter = 0, 0, 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = wrk.thread:get("thread_id")
end

local function events_body()
  local events = {}
  for i = 1, batch do
    counter = counter + 1
    events[i] = string.format(
      '{"id":"%(run)s-%%d-%%d","type":"view","product":"%%s","session_id":"%(run)s-%%d-%%d",' ..
      '"occurred_at":"2026-03-01T10:00:00Z"}',
      thread_id, counter, slugs[counter %% #slugs + 1], thread_id, math.floor(counter / 10))
  end
  return '{"events":[' .. table.concat(events, ",") .. ']}'
end

request = function()
  sent = sent + 1
  if batch > 0 then
    return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer %(token)s"}, events_body())
  end
  return wrk.format("GET", paths[(sent + thread_id * 7) %% #paths + 1], {%(headers)s})
end

done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# --- Seeding (in a child process: each database gets its own Django setup) ----------------------

def seed(products: int) -> dict:
    """Products with published copy, purchases, a trained and active recommender version; what the load needs."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from content.models import Draft, DraftStatus, Product, PublishedCopy
    from content.services import template_active
    from recommender import services as recommender_services
    from recommender.models import Event
    from storefront.services import token_create

    call_command("migrate", verbosity=0)
    now = timezone.now()
    Product.objects.bulk_create([
        Product(sku=f"SKU-{n:05d}", slug=f"product-{n:05d}", title=f"Product {n}", brand=f"Brand {n % 40}",
                category=f"category-{n % 25}", price=Decimal("10.00") + n % 90, stock=1 + n % 7,
                attributes={"material": "cotton", "colour": "blue"})
        for n in range(products)
    ], batch_size=500)
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    for kind, text in (("description", "A well-made product for every day. " * 8), ("ad_headline", "Made to last")):
        template = template_active(kind)
        Draft.objects.bulk_create([Draft(product_id=pk, kind=kind, template=template, status=DraftStatus.PUBLISHED,
                                         ai_text=text) for pk in ids], batch_size=500)
        PublishedCopy.objects.bulk_create([
            PublishedCopy(product_id=d.product_id, kind=kind, text=d.ai_text, draft_id=d.pk, published_at=now)
            for d in Draft.objects.filter(kind=kind).only("pk", "product_id", "ai_text")
        ], batch_size=500)
    # Purchases: 1,000 customers, each buying mostly within two categories, over 60 days.
    rng = random.Random(17)
    by_category: dict[int, list[int]] = {}
    for n, pk in enumerate(ids):
        by_category.setdefault(n % 25, []).append(pk)
    events = []
    for customer in range(1000):
        liked = rng.sample(range(25), 2)
        for order in range(rng.randint(1, 6)):
            at = now - timedelta(days=rng.uniform(1, 60))
            for line in range(rng.randint(1, 3)):
                pk = rng.choice(by_category[rng.choice(liked)])
                events.append(Event(source="seed", client_id=f"c{customer}-o{order}-{line}", type="purchase",
                                    product_id=pk, session_id=f"s-{customer}-{order}", customer_id=f"c-{customer}",
                                    order_id=f"o-{customer}-{order}", quantity=1, occurred_at=at))
    Event.objects.bulk_create(events, batch_size=500)
    version = recommender_services.model_train(embeddings="off", evaluate=False, activate=True, trigger="bench")
    slugs = list(Product.objects.order_by("?").values_list("slug", flat=True)[:200])
    from django.db import connection

    if connection.vendor == "postgresql":  # a live shop's tables have their statistics; a fresh bulk load has none
        with connection.cursor() as cursor:  # until autovacuum wakes up, in the middle of the first measured rows
            cursor.execute("VACUUM ANALYZE")
    token = token_create(name="bench", scopes=["events:write", "catalog:read", "recommendations:read"])[1]
    return {"slugs": slugs, "token": token, "categories": [f"category-{n}" for n in range(25)],
            "customers": [f"c-{n}" for n in range(0, 1000, 5)], "sessions": [f"s-{n}-0" for n in range(0, 1000, 5)],
            "purchases": len(events), "version": version.pk}


# --- Databases ------------------------------------------------------------------------------------

def postgres_reset(url: str) -> None:
    """Drop and create the bench's own PostgreSQL database (never the project's or CI's)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name in FORBIDDEN_DATABASES:
        sys.exit(f"refusing to drop and create database {name!r}: give the bench a database of its own")
    with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username,
                         password=parsed.password, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def environment(database: str, data_dir: str, postgres_url: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")}
    env.update(ECOMCMS_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="ecomcms.settings", DEBUG="false",
               SECRET_KEY="bench-only", ALLOWED_HOSTS=HOST, SECURE_SSL_REDIRECT="false",
               API_THROTTLE_ANON="1000000/s", API_THROTTLE_TOKEN="1000000/s", PYTHONPATH=str(ROOT),
               DATABASE_CONN_MAX_AGE="60")  # as docs/deployment.md runs gunicorn: one connection per worker
    if database == "postgres":
        env["DATABASE_URL"] = postgres_url
    return env


# --- Servers and load -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving one checkout of the project on a free loopback port."""

    def __init__(self, name: str, root: Path, env: dict, workers: int, log_dir: str):
        self.name, self.port = name, free_port()
        env = dict(env, PYTHONPATH=str(root), GUNICORN_BIND=f"{HOST}:{self.port}")
        if workers:
            env["GUNICORN_WORKERS"] = str(workers)
        # As deployed (docs/deployment.md); this checkout's config for a --compare-root checkout too.
        command = [sys.executable, "-m", "gunicorn", "ecomcms.wsgi:application", "-c",
                   str(ROOT / "deploy" / "gunicorn.conf.py")]
        self.log = open(Path(log_dir) / f"gunicorn-{name}.log", "w")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn ({name}) exited with {self.process.returncode}: see {self.log.name}")
            try:
                urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz/live", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        sys.exit(f"gunicorn ({name}) did not answer within 90 s")

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(f"http://{HOST}:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def post(self, path: str, body: dict, token: str) -> dict:
        request = urllib.request.Request(f"http://{HOST}:{self.port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def prewarm(server: Server, paths, headers=None, repeat: int = 24) -> None:
    """Ask for every path many times, so that each worker's own cache (local memory) very likely holds it.

    With W workers taking requests at random, a path asked for R times missed a given worker with
    probability (1 - 1/W)^R: 0.5% for 5 workers and R = 24 (it was 12, 7%: with 200 product paths
    about 70 of the 1,000 worker-path pairs were still cold when the measurement began, each miss
    costing about three cached answers, which weighed on the product row more than on the list's 26).
    """
    from concurrent.futures import ThreadPoolExecutor

    def ask(path):
        try:
            return server.get(path, headers)[0]
        except OSError:  # a timeout under heavy load: the measured run will count what it finds
            return "timeout"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, list(paths) * repeat))
    if answers.count("timeout"):
        print(f"  pre-warm: {answers.count('timeout')} of {len(answers)} requests timed out", flush=True)


def load(server: Server, args, seeded: dict, *, paths=(), batch: int = 0, run: str = "run", headers=None) -> dict:
    """Warm up (imports, connections, caches), then measure with wrk; returns wrk's numbers."""
    if paths and not batch:
        prewarm(server, paths, headers)
    warm_requests = 0
    for phase, seconds in (("warm", 1), (run, args.duration)):
        script = LUA % {"paths": ",".join(json.dumps(p) for p in paths) or '"/"',
                        "slugs": ",".join(json.dumps(s) for s in seeded["slugs"]), "batch": batch,
                        "token": seeded["token"], "run": f"{server.name}-{phase}-{batch}-{time.monotonic_ns()}",
                        "headers": ",".join(f'["{k}"] = {json.dumps(v)}' for k, v in (headers or {}).items())}
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
            lua.write(script)
            lua.flush()
            output = subprocess.run(
                ["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name,
                 f"http://{HOST}:{server.port}/"], capture_output=True, text=True, timeout=seconds + 60, check=True,
            ).stdout
        results = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
        if phase == "warm":
            warm_requests = results["requests"]
    results["warm_requests"] = warm_requests
    return results


def rate(result: dict) -> float:
    return result["requests"] / (result["duration_us"] / 1e6)


# --- One database -----------------------------------------------------------------------------------

def bench_database(database: str, args) -> list[tuple]:
    data_dir = tempfile.mkdtemp(prefix=f"ecomcms-bench-{database}-")
    env = environment(database, data_dir, args.postgres_url)
    if database == "postgres":
        postgres_reset(args.postgres_url)
    started = time.monotonic()
    seeded = json.loads(subprocess.run([sys.executable, __file__, "--seed", str(args.products)], env=env, cwd=ROOT,
                                       capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    where = urlparse(args.postgres_url).path.lstrip("/") if database == "postgres" else data_dir
    print(f"\n== {database} ({where}): seeded {args.products} products with published copy, {seeded['purchases']} "
          f"purchases, recommender version {seeded['version']} trained and active, in "
          f"{time.monotonic() - started:.0f} s")

    slugs = seeded["slugs"]
    list_paths = ["/api/v1/products?page_size=20"] + [f"/api/v1/products?category={c}&page_size=20"
                                                       for c in seeded["categories"]]
    detail_paths = [f"/api/v1/products/{s}" for s in slugs]
    rows = []
    servers = [Server("product", ROOT, env, args.workers, data_dir)]
    try:
        if "uncached" in args.variants:
            servers.append(Server("uncached", ROOT, dict(env, API_CATALOG_CACHE_SECONDS="0"), args.workers, data_dir))
        if "conn0" in args.variants:
            servers.append(Server("conn0", ROOT, dict(env, DATABASE_CONN_MAX_AGE="0"), args.workers, data_dir))
        if args.compare_root:
            servers.append(Server("compare", Path(args.compare_root).resolve(), env, args.workers, data_dir))
        product = servers[0]
        print(f"gunicorn (deploy/gunicorn.conf.py): {args.workers or 'its default number of'} sync workers per "
              f"server; wrk: 2 threads, {args.connections} connections, "
              f"{args.duration} s per endpoint after a 1 s warm-up\n")
        status, headers, _ = product.get(list_paths[0])
        etag = headers.get("ETag", "")
        status_304, _, _ = product.get(list_paths[0], {"If-None-Match": etag})
        print(f"conditional GET of the list with its ETag: {status_304} (200 without it: {status})")

        def measure(label, server, goal=None, **kwargs):
            result = load(server, args, seeded, **kwargs)
            rows.append((database, label, server.name, result, goal, kwargs.get("batch", 0)))
            print(f"  measured {label} on {server.name}: {rate(result):.0f} req/s, p50 "
                  f"{result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms", flush=True)

        wanted = set(args.endpoints)
        for server in servers:
            measure("trivial: GET /healthz/live", server, paths=["/healthz/live"])  # every ratio's reference
            if "list" in wanted:
                measure("GET /api/v1/products (26 pages)", server, "list", paths=list_paths)
            if "detail" in wanted:
                measure("GET /api/v1/products/<slug> (200)", server, "detail", paths=detail_paths)
            if server is product and "if-none-match" in wanted:
                measure("GET /api/v1/products, If-None-Match", server, "list", paths=list_paths[:1],
                        headers={"If-None-Match": etag})
        if "similar" in wanted:
            measure("GET .../products/<slug>/similar", product, "recommendations",
                    paths=[f"/api/v1/recommendations/products/{s}/similar" for s in slugs])
        if "bought-together" in wanted:
            measure("GET .../products/<slug>/bought-together", product, "recommendations",
                    paths=[f"/api/v1/recommendations/products/{s}/bought-together" for s in slugs])
        token_header = {"Authorization": f"Bearer {seeded['token']}"}
        if "customer" in wanted:
            measure("GET .../recommendations/customer/<id>", product, "recommendations",
                    paths=[f"/api/v1/recommendations/customer/{c}" for c in seeded["customers"]],
                    headers=token_header)
        if "session" in wanted:
            measure("GET .../recommendations/session/<id>", product, "recommendations",
                    paths=[f"/api/v1/recommendations/session/{s}" for s in seeded["sessions"]], headers=token_header)
        for batch in args.batches if "events" in wanted else ():
            measure(f"POST /api/v1/events ({batch} a batch)", product, "events", batch=batch)
            if args.compare_root:
                measure(f"POST /api/v1/events ({batch} a batch)", servers[-1], "events", batch=batch)

        # Idempotency: a batch sent twice is stored once, and nothing measured was stored twice.
        if "events" not in wanted:
            return rows
        retry = {"events": [{"id": f"retry-{n}", "type": "view", "product": slugs[n % len(slugs)], "session_id": "r",
                             "occurred_at": "2026-03-01T10:00:00Z"} for n in range(args.batches[-1])]}
        first = product.post("/api/v1/events", retry, seeded["token"])
        second = product.post("/api/v1/events", retry, seeded["token"])
        count = ("import django; django.setup(); from recommender.models import Event; "
                 "print(Event.objects.exclude(source='seed').count())")
        stored = int(subprocess.run(
            [sys.executable, "-c", count],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()[-1])
        answered = sum((r[3]["requests"] + r[3]["warm_requests"]) * r[5] for r in rows if r[5]) + len(retry["events"])
        # Requests still in flight when wrk stops may be stored without an answer: at most one per connection.
        in_flight = sum(2 * args.connections * r[5] for r in rows if r[5])
        stored_ok = answered <= stored <= answered + in_flight
        print(f"idempotency: a batch of {len(retry['events'])} sent twice: first accepted {first['accepted']}, "
              f"duplicates {first['duplicates']}; again accepted {second['accepted']}, duplicates "
              f"{second['duplicates']}")
        print(f"events: {answered} in answered requests (distinct ids; the retried batch once), {stored} stored "
              f"({'as expected' if stored_ok else 'WRONG'}: at least every answered one, at most {in_flight} more "
              "still in flight when wrk stopped)")
        rows.append((database, "idempotency", "product",
                     {"ok": first["accepted"] == len(retry["events"]) and second["duplicates"] == len(retry["events"])
                      and second["accepted"] == 0 and stored_ok}, "idempotency", 0))
    finally:
        for server in servers:
            server.stop()
        if database == "sqlite":
            shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def report(rows: list[tuple], args) -> bool:
    """The table and the goals; True if every goal is met."""
    print(f"\n{'database':<9} {'server':<9} {'endpoint':<42} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'vs trivial':>10} {'non-2xx':>7}  goal")
    met = True
    trivial: dict[tuple, float] = {}
    for database, label, server, result, goal, batch in rows:
        if goal == "idempotency":
            met &= result["ok"]
            print(f"{database:<9} {server:<9} {'idempotency kept':<42} {'':>7} {'':>7} {'':>7} {'':>10} {'':>7}  "
                  f"{'met' if result['ok'] else 'NOT MET'}")
            continue
        rps, p99 = rate(result), result["p99_us"] / 1000
        if label.startswith("trivial"):
            trivial[(database, server)] = rps
        ratio = rps / trivial.get((database, server), trivial.get((database, "product"), rps))
        verdict = ""
        if goal == "list" and "If-None-Match" not in label:
            ok = p99 < 50 and ratio >= 0.5
            verdict = f"p99 < 50 ms and >= 0.50x: {'met' if ok else 'NOT MET'}"
        elif goal == "detail":
            ok = ratio >= 0.6
            verdict = f">= 0.60x: {'met' if ok else 'NOT MET'}"
        elif goal == "recommendations":
            ok = p99 < 50
            verdict = f"p99 < 50 ms: {'met' if ok else 'NOT MET'}"
        elif goal == "events":
            ok = rps * batch >= 10_000
            verdict = f"{rps * batch:,.0f} events/s, >= 10,000: {'met' if ok else 'NOT MET'}"
        else:
            ok = True
        if server == "product":
            met &= ok
        non_2xx = result["non_2xx"] if "If-None-Match" not in label else "304s"
        print(f"{database:<9} {server:<9} {label:<42} {rps:>7.0f} {result['p50_us'] / 1000:>7.1f} {p99:>7.1f} "
              f"{ratio:>9.2f}x {non_2xx:>7}  {verdict}")
        if result["socket_errors"]:
            print(f"  {result['socket_errors']} socket errors")
    by_name = {(d, s, label): rate(r) for d, label, s, r, g, b in rows if g != "idempotency"}
    for database in args.databases:
        for other in ("uncached", "conn0", "compare"):
            for label in ("GET /api/v1/products (26 pages)", "GET /api/v1/products/<slug> (200)"):
                if (database, other, label) in by_name:
                    print(f"{database}: {label}: product / {other} = "
                          f"{by_name[(database, 'product', label)] / by_name[(database, other, label)]:.2f}x")
    print(f"\nall goals (product server): {'met' if met else 'NOT MET'}")
    return met


# --- Profile ------------------------------------------------------------------------------------------

ENDPOINTS = ("list", "detail", "if-none-match", "similar", "bought-together", "customer", "session", "events")
PROFILED = ("trivial", "list", "detail", "similar", "bought-together", "customer", "session", "events-100",
            "events-500")


def profile(args) -> None:
    """cProfile of each endpoint in this process (the test client, the whole middleware stack): where time goes.

    On each database of --databases (PostgreSQL: the bench's own database, dropped and created), the
    caches warm as in the load runs; the list and the product also with the cache off. Each endpoint
    is first timed without the profiler (this process's CPU a request, ``time.process_time``: on a
    shared machine wall time measures the scheduler), then profiled counting CPU time too.
    ``--profile-reuse`` keeps a PostgreSQL database an earlier run seeded (a new token is made);
    ``--profile-root PATH`` imports the project from another checkout, so two checkouts are profiled
    by the same harness on the same database (before/after).
    """
    import cProfile
    import io
    import pstats

    database = args.databases[0]
    data_dir = tempfile.mkdtemp(prefix="ecomcms-profile-")
    os.environ.update(environment(database, data_dir, args.postgres_url), ALLOWED_HOSTS=f"{HOST},testserver")
    if args.profile_root:
        root = str(Path(args.profile_root).resolve())
        sys.path.insert(0, root)
        os.chdir(root)  # Celery's Django fix-up puts the working folder first on sys.path
    if database != "postgres":
        os.environ.pop("DATABASE_URL", None)
    if database == "postgres" and args.profile_reuse and _seeded(args.postgres_url):
        seeded = reuse_seeded()
    else:
        if database == "postgres":
            postgres_reset(args.postgres_url)
        seeded = seed(args.products)
    from django.test import Client, override_settings

    import ecomcms

    print(f"profiling the project at {Path(ecomcms.__file__).resolve().parent.parent}", flush=True)
    client = Client()
    token = {"HTTP_AUTHORIZATION": f"Bearer {seeded['token']}"}
    slugs = seeded["slugs"]
    requests = {
        "trivial": (["/healthz/live"], {}),
        "list": (["/api/v1/products?page_size=20"] + [f"/api/v1/products?category={c}&page_size=20"
                                                      for c in seeded["categories"]], {}),
        "detail": ([f"/api/v1/products/{s}" for s in slugs], {}),
        "similar": ([f"/api/v1/recommendations/products/{s}/similar" for s in slugs], {}),
        "bought-together": ([f"/api/v1/recommendations/products/{s}/bought-together" for s in slugs], {}),
        "customer": ([f"/api/v1/recommendations/customer/{c}" for c in seeded["customers"]], token),
        "session": ([f"/api/v1/recommendations/session/{s}" for s in seeded["sessions"]], token),
    }
    counter = iter(range(10**9))

    def events(batch):
        return {"events": [{"id": f"p-{time.time_ns()}-{next(counter)}", "type": "view",
                            "product": slugs[n % len(slugs)], "session_id": f"s-{n // 10}",
                            "occurred_at": "2026-03-01T10:00:00Z"} for n in range(batch)]}

    wanted = [name for name in args.profile_endpoints]
    runs = []
    for name in wanted:
        if name in ("list", "detail") and not args.profile_cached_only:
            runs += [(name, 0), (name, 300)]
        else:
            runs.append((name, 300))
    summary = []
    for name, cache_seconds in runs:
        count = 100 if name.startswith("events") else args.profile_count
        with override_settings(API_CATALOG_CACHE_SECONDS=cache_seconds):
            if name.startswith("events"):
                batch = int(name.split("-")[1])
                bodies = [json.dumps(events(batch)) for _ in range(2 * count + 1)]

                def call(n, bodies=bodies):
                    return client.post("/api/v1/events", bodies[n], content_type="application/json", **token)
            else:
                paths, headers = requests[name]
                for path in paths:  # warm: connections, imports, the caches
                    client.get(path, **headers)

                def call(n, paths=paths, headers=headers):
                    return client.get(paths[n % len(paths)], **headers)
            call(2 * count)
            # In batches of 50: on a shared machine the least CPU a batch took is the steadiest figure.
            batches, started = [], time.perf_counter()
            for first in range(0, count, 50):
                cpu = time.process_time()
                for n in range(first, min(first + 50, count)):
                    response = call(n)
                batches.append((time.process_time() - cpu) / (min(first + 50, count) - first))
            elapsed = time.perf_counter() - started
            batches.sort()
            cpu, least = sum(batches) / len(batches) * count, batches[0]
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for n in range(count, 2 * count):
                response = call(n)
            profiler.disable()
        cache = "" if name not in ("list", "detail") else (", cache off" if not cache_seconds else ", cache on")
        figures = (f"{cpu / count * 1000:.3f} ms CPU a request (median batch "
                   f"{batches[len(batches) // 2] * 1000:.3f}, least {least * 1000:.3f})")
        summary.append(f"{name}{cache}: {figures}")
        print(f"\n== {database}: {name}{cache}: status {response.status_code}, {figures}, "
              f"{elapsed / count * 1000:.2f} ms wall, without the profiler ({count} requests); the profile "
              "(CPU time):", flush=True)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort).print_stats(args.profile_lines)
        print(out.getvalue(), flush=True)
    print("\n".join(["", f"CPU a request without the profiler ({database}):"] + summary), flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)


def _seeded(url: str) -> bool:
    """Whether the bench's PostgreSQL database holds a seeded catalogue and an active recommender version."""
    import psycopg

    parsed = urlparse(url)
    try:
        with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username,
                             password=parsed.password, dbname=parsed.path.lstrip("/")) as conn:
            products = conn.execute("SELECT count(*) FROM ecomcms_content_product").fetchone()[0]
            active = conn.execute("SELECT count(*) FROM ecomcms_recommender_modelversion WHERE is_active").fetchone()[0]
            return bool(products and active)
    except psycopg.Error:
        return False


def reuse_seeded() -> dict:
    """What ``seed`` returns, read from a database it seeded (a new token: the old one is shown only once)."""
    import django

    django.setup()
    from content.models import Product
    from storefront.services import token_create

    slugs = list(Product.objects.order_by("slug").values_list("slug", flat=True)[::10][:200])
    token = token_create(name="bench-profile", scopes=["events:write", "catalog:read", "recommendations:read"])[1]
    return {"slugs": slugs, "token": token, "categories": [f"category-{n}" for n in range(25)],
            "customers": [f"c-{n}" for n in range(0, 1000, 5)], "sessions": [f"s-{n}-0" for n in range(0, 1000, 5)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres", type=lambda v: v.split(","))
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0,
                        help="gunicorn workers per server (default: deploy/gunicorn.conf.py's, 2 x cores + 1)")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--batches", default="100,250,500", type=lambda v: [int(b) for b in v.split(",")],
                        help="events per ingestion request, each measured")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), type=lambda v: v.split(","),
                        help=f"which endpoints to load (the trivial one always): {', '.join(ENDPOINTS)}")
    parser.add_argument("--variants", default="", type=lambda v: [x for x in v.split(",") if x],
                        help="also serve the same code as: uncached (API_CATALOG_CACHE_SECONDS=0), conn0 (a new "
                             "database connection per request, DATABASE_CONN_MAX_AGE=0)")
    parser.add_argument("--compare-root", help="also serve this checkout of the project (before/after in one run)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the endpoints in-process instead (on the first of --databases)")
    parser.add_argument("--profile-endpoints", default=",".join(PROFILED), type=lambda v: v.split(","),
                        help=f"with --profile: which of {', '.join(PROFILED)}")
    parser.add_argument("--profile-sort", default="cumulative", help="with --profile: pstats sort key (tottime ...)")
    parser.add_argument("--profile-lines", type=int, default=30, help="with --profile: functions printed")
    parser.add_argument("--profile-count", type=int, default=200, help="with --profile: GET requests timed, then "
                                                                        "as many profiled")
    parser.add_argument("--profile-cached-only", action="store_true",
                        help="with --profile: the list and the product with the cache on only")
    parser.add_argument("--profile-reuse", action="store_true",
                        help="with --profile on PostgreSQL: keep the database if an earlier run seeded it")
    parser.add_argument("--profile-root", help="with --profile: import the project from this checkout instead")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # internal: seed the database in env, print JSON
    args = parser.parse_args()
    if args.seed:
        print(json.dumps(seed(args.seed)))
        return
    sys.path.insert(0, str(ROOT))
    if args.profile:
        profile(args)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    unknown = set(args.endpoints) - set(ENDPOINTS)
    if unknown:
        sys.exit(f"unknown endpoints: {', '.join(sorted(unknown))} (known: {', '.join(ENDPOINTS)})")
    unknown = set(args.databases) - {"sqlite", "postgres"}
    if unknown:
        sys.exit(f"unknown databases: {', '.join(sorted(unknown))} (sqlite, postgres)")
    started = time.monotonic()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    rows = []
    for database in args.databases:
        if database == "postgres":
            try:
                postgres_reset(args.postgres_url)
            except Exception as exc:  # noqa: BLE001  (any driver error: say so and go on with the others)
                print(f"\n== postgres: skipped, {args.postgres_url} is not usable: {exc}")
                continue
        rows += bench_database(database, args)
    print(f"load average {os.getloadavg()[0]:.1f} at the end; {time.monotonic() - started:.0f} s in all")
    report(rows, args)
    # The goals are printed, not enforced (make bench runs every bench); a broken idempotency is a bug.
    sys.exit(0 if all(r[3]["ok"] for r in rows if r[4] == "idempotency") else 1)


if __name__ == "__main__":
    main()
