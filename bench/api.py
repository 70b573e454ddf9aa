"""The storefront API under a production server, next to a trivial endpoint in the same run.

    .venv/bin/python bench/api.py [--duration 10] [--max-requests 50000] [--connections 8] [--workers 2]
                                  [--products 2000] [--batch 100]

Starts gunicorn on 127.0.0.1 (a free port) with a fresh SQLite database in a temporary
ECOMCMS_DATA_DIR, seeded with products and published copy; loads each endpoint with wrk
(Debian package `wrk`) for at most --duration seconds and --max-requests requests; prints
requests per second, p50 and p99 latency, and the throughput relative to the trivial
endpoint (/api/docs/: a small HTML page, no database). Throttling is set out of reach.
Only loopback addresses are used.
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
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

LUA = """
local max_requests = %(max_requests)d
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
  if "%(kind)s" == "detail" then
    return wrk.format("GET", "/api/v1/products/" .. slugs[sent %% #slugs + 1])
  elseif "%(kind)s" == "events" then
    return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer %(token)s"}, events_body())
  end
  return wrk.format("GET", "%(path)s")
end

response = function(status, headers, body)
  if sent >= max_requests then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

ENDPOINTS = [
    ("trivial: GET /api/docs/", "plain", "/api/docs/"),
    ("GET /api/v1/products?page_size=20", "plain", "/api/v1/products?page_size=20"),
    ("GET /api/v1/products/<slug>", "detail", ""),
    ("POST /api/v1/events (batch)", "events", ""),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def seed(products: int) -> tuple[list[str], str]:
    """Products with a published description and headline each; returns some slugs and an events token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from content.models import Draft, DraftStatus, Product, PublishedCopy
    from content.services import template_active
    from storefront.services import token_create

    call_command("migrate", verbosity=0)
    now = timezone.now()
    Product.objects.bulk_create([
        Product(sku=f"SKU-{n:05d}", slug=f"product-{n:05d}", title=f"Product {n}", brand=f"Brand {n % 40}",
                category=f"category-{n % 25}", price=Decimal("10.00") + n % 90, stock=n % 7,
                attributes={"material": "cotton", "colour": "blue"})
        for n in range(products)
    ])
    ids = list(Product.objects.values_list("pk", flat=True))
    for kind, text in (("description", "A well-made product for every day. " * 8), ("ad_headline", "Made to last")):
        template = template_active(kind)
        Draft.objects.bulk_create([Draft(product_id=pk, kind=kind, template=template, status=DraftStatus.PUBLISHED,
                                         ai_text=text) for pk in ids])
        PublishedCopy.objects.bulk_create([
            PublishedCopy(product_id=d.product_id, kind=kind, text=d.ai_text, draft_id=d.pk, published_at=now)
            for d in Draft.objects.filter(kind=kind).only("pk", "product_id", "ai_text")
        ])
    slugs = list(Product.objects.order_by("?").values_list("slug", flat=True)[:200])
    return slugs, token_create(name="bench", scopes=["events:write", "catalog:read"])[1]


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/api/v1/categories", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


def load(port: int, kind: str, path: str, args, slugs: list[str], token: str) -> dict:
    """Warm up for a second (imports, connections, caches), then measure; returns wrk's numbers."""
    threads = 2
    for run, seconds in (("warm-up", 1), ("run", args.duration)):
        script = LUA % {"max_requests": args.max_requests // threads, "slugs": ",".join(f'"{s}"' for s in slugs),
                        "batch": args.batch, "kind": kind, "path": path, "token": token, "run": run}
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
            lua.write(script)
            lua.flush()
            output = subprocess.run(
                ["wrk", f"-t{threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name,
                 f"http://{HOST}:{port}/"], capture_output=True, text=True, timeout=seconds + 60, check=True,
            ).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (at most)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="requests per endpoint (at most)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100, help="events per ingestion request")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    data_dir = tempfile.mkdtemp(prefix="ecomcms-bench-")
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):  # a fresh SQLite file, no servers
        os.environ.pop(name, None)
    os.environ.update(ECOMCMS_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="ecomcms.settings", DEBUG="false",
                      SECRET_KEY="bench-only", ALLOWED_HOSTS=HOST, SECURE_SSL_REDIRECT="false",
                      API_THROTTLE_ANON="1000000/s",
                      API_THROTTLE_TOKEN="1000000/s")
    sys.path.insert(0, str(ROOT))
    started = time.monotonic()
    slugs, token = seed(args.products)
    print(f"seeded {args.products} products with published copy in {time.monotonic() - started:.1f} s "
          f"(SQLite in {data_dir})")

    port = free_port()
    with open(Path(data_dir) / "gunicorn.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ecomcms.wsgi", "-b", f"{HOST}:{port}", "-w", str(args.workers)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_until_up(port, server)
            print(f"gunicorn, {args.workers} sync workers on {HOST}:{port}; wrk 2 threads, {args.connections} "
                  f"connections, up to {args.duration} s and {args.max_requests} requests per endpoint\n")
            results = [(label, kind, load(port, kind, path, args, slugs, token)) for label, kind, path in ENDPOINTS]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    trivial_rps = None
    print(f"{'endpoint':<36} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs trivial':>11} "
          f"{'non-2xx':>8}")
    for label, kind, result in results:
        rps = result["requests"] / (result["duration_us"] / 1e6)
        trivial_rps = trivial_rps or rps
        print(f"{label:<36} {result['requests']:>9} {rps:>9.0f} {result['p50_us'] / 1000:>8.1f} "
              f"{result['p99_us'] / 1000:>8.1f} {rps / trivial_rps:>10.2f}x {result['non_2xx']:>8}")
        if kind == "events":
            print(f"{'  = events stored per second':<36} {'':>9} {rps * args.batch:>9.0f}")
        if result["socket_errors"]:
            print(f"  {result['socket_errors']} socket errors")
    from recommender.models import Event

    print(f"\nevents in the database: {Event.objects.count()}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
