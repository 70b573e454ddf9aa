"""What the host check asks of the shop's site once it is migrated (run_check.py runs it inside the host).

Run from the host's folder with the host's virtualenv, where ecomcms is the installed wheel:

1. ecomcms is imported from that virtualenv's site-packages, and ecomcms/settings.py is never imported;
2. the catalogue and a few orders come in through the management commands (import_products, import_events);
3. one description per product is drafted by a real Celery worker of the shop's own app (the fake generator),
   then an editor approves and publishes them; the recommender is trained (train_recommender);
4. a django CMS page with each of the four ecomcms plugins renders the published copy and the lists;
5. the catalogue API, the schema, the health checks and the admin's review pages answer.

Prints one line per step; exits non-zero (an AssertionError naming what failed) on the first failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent
started = time.monotonic()


def step(message: str) -> None:
    print(f"host check [{time.monotonic() - started:5.1f} s] {message}", flush=True)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()  # before the imports below: they need the apps loaded

from celery import current_app  # noqa: E402
from cms.api import add_plugin, create_page  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.sites.models import Site  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.html import escape  # noqa: E402

import cmsplugins  # noqa: E402
import content  # noqa: E402
import ecomcms  # noqa: E402
import recommender  # noqa: E402
import storefront  # noqa: E402
import support  # noqa: E402
from content import services as content_services  # noqa: E402
from content.models import Draft, DraftStatus, Product, PublishedCopy  # noqa: E402
from content.roles import EDITORS  # noqa: E402
from ecomcms.models import WorkerHeartbeat  # noqa: E402

PRODUCTS = """sku,title,brand,category,price,currency,stock,attr:material,attr:colour
HC-MUG,Stoneware Mug,Host,kitchen,12.50,EUR,40,stoneware,blue
HC-PLATE,Stoneware Plate,Host,kitchen,18.00,EUR,25,stoneware,white
HC-BOWL,Stoneware Bowl,Host,kitchen,15.00,EUR,30,stoneware,green
HC-TOWEL,Linen Tea Towel,Host,textiles,9.90,EUR,60,linen,grey
"""
BASKETS = [["HC-MUG", "HC-PLATE"], ["HC-MUG", "HC-PLATE", "HC-TOWEL"], ["HC-MUG", "HC-BOWL"],
           ["HC-PLATE", "HC-BOWL"], ["HC-MUG", "HC-PLATE"], ["HC-TOWEL", "HC-BOWL"]]


def orders_csv() -> str:
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    for n, basket in enumerate(BASKETS):
        for sku in basket:
            lines.append(f"{610000 + n},{sku},{sku},1,2026-0{1 + n % 9}-1{n} 10:00:00,1.00,{13000 + n % 3},France")
    return "\n".join(lines) + "\n"


def check_installed_from_the_wheel() -> None:
    venv = Path(os.environ["HOST_VENV"]).resolve()
    for module in (ecomcms, content, recommender, support, storefront, cmsplugins):
        where = Path(module.__file__).resolve()
        assert venv in where.parents and "site-packages" in where.parts, f"{module.__name__} from {where}"
    assert "ecomcms.settings" not in sys.modules, "the host imported ecomcms/settings.py"
    step(f"ecomcms imported from the wheel in {Path(ecomcms.__file__).parent}")


def import_catalogue(folder: Path) -> list[Product]:
    (folder / "products.csv").write_text(PRODUCTS)
    (folder / "orders.csv").write_text(orders_csv())
    with contextlib.redirect_stderr(io.StringIO()):  # their progress bars
        call_command("import_products", str(folder / "products.csv"), stdout=io.StringIO())
        call_command("import_events", str(folder / "orders.csv"), stdout=io.StringIO())
    products = list(Product.objects.order_by("sku"))
    assert [p.sku for p in products] == ["HC-BOWL", "HC-MUG", "HC-PLATE", "HC-TOWEL"], products
    step(f"imported {len(products)} products and {len(BASKETS)} orders")
    return products


def start_worker(log: Path) -> subprocess.Popen:
    """A worker of the shop's own Celery app on the generation queue and the shop's default queue."""
    queues = f"generation,{settings.CELERY_TASK_DEFAULT_QUEUE}"
    command = [sys.executable, "-m", "celery", "-A", "shop", "worker", "-Q", queues, "--concurrency", "1",
               "-n", f"hostcheck-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    return subprocess.Popen(command, cwd=HERE, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL after a few seconds: the check is over, nothing is lost."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def drafts_through_the_worker(products: list[Product], editor, worker: subprocess.Popen, log: Path) -> None:
    job = content_services.drafts_request(products=products, kind="description", actor=editor)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pending = Draft.objects.filter(job=job, status__in=[DraftStatus.QUEUED, DraftStatus.GENERATING]).count()
        if not pending:
            break
        assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    drafts = list(Draft.objects.filter(job=job).select_related("product"))
    statuses = {d.product.sku: d.status for d in drafts}
    assert statuses and set(statuses.values()) == {DraftStatus.IN_REVIEW}, (
        f"drafts not written by the worker: {statuses}\n{log.read_text()[-3000:]}")
    assert {d.model_id for d in drafts} == {"fake-generator"}, {d.model_id for d in drafts}
    heartbeat = WorkerHeartbeat.objects.filter(name__startswith="hostcheck-").first()  # the worker hooks ran
    assert heartbeat and heartbeat.queues == ["generation", settings.CELERY_TASK_DEFAULT_QUEUE], heartbeat
    step(f"a worker of the shop's Celery app wrote {len(drafts)} drafts ({drafts[0].worker or 'worker'})")
    for draft in drafts:
        content_services.draft_approve_and_publish(draft=draft, actor=editor, comment="host check")
    assert PublishedCopy.objects.filter(superseded_at__isnull=True).count() == len(drafts)
    step(f"an editor approved and published {len(drafts)} descriptions")


def cms_page_with_each_plugin(featured: Product) -> None:
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        call_command("train_recommender", "--activate", "--no-evaluate", stdout=io.StringIO())
    step("trained and activated a recommender version (train_recommender)")
    language = settings.LANGUAGE_CODE
    page = create_page("Shop", "shop/page.html", language, slug="shop")
    placeholder = page.get_content_obj(language).get_placeholders().get(slot="content")
    add_plugin(placeholder, "ProductCopyPlugin", language, product=featured, kind="description")
    add_plugin(placeholder, "BoughtTogetherPlugin", language, product=featured, title="Bought together", limit=4)
    add_plugin(placeholder, "SimilarProductsPlugin", language, product=featured, title="Similar products", limit=4)
    add_plugin(placeholder, "RecommendedForYouPlugin", language, title="Recommended for you", limit=4)

    response = Client().get(page.get_absolute_url())
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    copy = PublishedCopy.objects.get(product=featured, kind="description", superseded_at__isnull=True)
    assert f'class="ecomcms-copy ecomcms-copy-description" data-product="{featured.slug}"' in html
    assert escape(copy.text.split("\n")[0][:40]) in html, "the product copy plugin does not show the published copy"
    for block in ("bought_together", "similar_products", "recommended_for_you"):
        marker = f'class="ecomcms-recommendations ecomcms-{block}"'
        assert marker in html, f"the {block} plugin rendered nothing"
        section = html[html.index(marker):html.index("</section>", html.index(marker))]
        assert 'data-product="' in section, f"the {block} plugin shows no product:\n{section}"
    assert "Bought together" in html and "Similar products" in html and "Recommended for you" in html
    assert Site.objects.get(pk=settings.SITE_ID).domain == "example.com", "ecomcms changed the host's Site"
    step(f"the CMS page {page.get_absolute_url()} renders each of the four plugins")


def api_health_and_admin(products: list[Product], admin_user) -> None:
    client = Client()
    response = client.get("/api/v1/products")
    assert response.status_code == 200, (response.status_code, response.content[:500])
    slugs = {item["slug"] for item in response.json()["results"]}
    assert slugs == {p.slug for p in products}, slugs
    assert client.get("/api/v1/no-such-endpoint").json()["error"]["code"] == "not_found"
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/v1/products" in json.loads(schema.content)["paths"]
    assert client.get("/healthz/live").status_code == 200
    ready = client.get("/healthz/ready").json()
    assert ready["database"]["status"] == "ready" and ready["broker"]["status"] == "ready", ready
    step(f"GET /api/v1/products: 200 with {len(slugs)} products; schema, health checks answer")

    client.force_login(admin_user)
    queue = reverse(f"admin:{Draft._meta.app_label}_{Draft._meta.model_name}_changelist")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(queue).status_code == 200
    step(f"the admin serves ecomcms's pages ({queue})")


def main() -> None:
    check_installed_from_the_wheel()
    work = HERE / "var" / "check"
    work.mkdir(parents=True, exist_ok=True)
    User = get_user_model()
    editor = User.objects.create_user("editor", password="host-check-editor")
    editor.groups.add(Group.objects.get(name=EDITORS))
    admin_user = User.objects.create_superuser("admin", "admin@shop.example", "host-check-admin")
    products = import_catalogue(work)
    worker = start_worker(work / "worker.log")
    try:
        drafts_through_the_worker(products, editor, worker, work / "worker.log")
        cms_page_with_each_plugin(next(p for p in products if p.sku == "HC-MUG"))
        api_health_and_admin(products, admin_user)
    finally:
        stop_worker(worker)
        current_app.control.purge()  # a shared broker (CI's RabbitMQ) keeps nothing of the check's
    check_installed_from_the_wheel()  # still: nothing on the way imported the product's own settings
    step("passed")


if __name__ == "__main__":
    main()
