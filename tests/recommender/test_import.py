"""Importing an Online Retail export: products, purchases, cancellations, refused lines, re-imports."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from content.models import Product
from recommender import online_retail, services
from recommender.models import Event
from tests.content.factories import make_product
from tests.recommender.factories import write_online_retail

pytestmark = pytest.mark.django_db

ROWS = [
    ["536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6", "2010-12-01 08:26:00", "2.55", "17850", "UK"],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850", "UK"],
    ["536365", "POST", "POSTAGE", "1", "2010-12-01 08:26:00", "18.00", "17850", "UK"],
    ["536366", "85123a", "WHITE HANGING HEART T-LIGHT HOLDER", "2", "2010-12-01 09:00:00", "2.55", "", "UK"],
    ["536366", "85123a", "WHITE HANGING HEART T-LIGHT HOLDER", "1", "2010-12-01 09:00:00", "2.55", "", "UK"],
    ["C536379", "71053", "WHITE METAL LANTERN", "-2", "2010-12-02 10:00:00", "3.39", "17850.0", "UK"],
    ["536380", "71053", "damaged", "-10", "2010-12-02 11:00:00", "0", "", "UK"],
    ["536381", "22041", "RECORD FRAME 7\" SINGLE SIZE", "many", "2010-12-02 12:00:00", "2.10", "15311", "UK"],
    ["536381", "22042", "FRAME", "1", "yesterday", "2.10", "15311", "UK"],
    ["536381", "22043", "FRAME", "1", "2010-12-02 12:00:00", "two", "15311", "UK"],
    ["536382", "22044", "", "3", "12/9/2011 12:50", "0.001", "15311", "UK"],
]


def test_purchases_become_events_and_stock_codes_become_products(tmp_path):
    path = write_online_retail(tmp_path / "orders.csv.gz", ROWS)

    result = services.events_import_online_retail(path=path)

    assert (result.lines, result.created, result.products_created) == (11, 6, 4)
    assert (result.not_goods, result.not_purchases) == (1, 1)
    heart = Product.objects.get(sku="85123A")
    assert (heart.title, heart.price, heart.currency, heart.stock) == (
        "WHITE HANGING HEART T-LIGHT HOLDER", Decimal("2.55"), "GBP", 0)
    assert heart.slug == "white-hanging-heart-t-light-holder-85123a"
    assert Product.objects.get(sku="85123a").slug == "white-hanging-heart-t-light-holder-85123a-2"
    assert Product.objects.get(sku="22044").title == "22044"
    first = Event.objects.get(client_id="536365:85123A:1")
    assert (first.source, first.type, first.customer_id, first.order_id, first.quantity, first.price) == (
        "online-retail", "purchase", "17850", "536365", 6, Decimal("2.55"))
    assert first.occurred_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    assert Event.objects.filter(order_id="536366").count() == 2  # two lines of one item on one invoice
    assert Event.objects.get(client_id="536382:22044:1").price == Decimal("0.00")
    assert Event.objects.get(client_id="536382:22044:1").occurred_at == datetime(2011, 12, 9, 12, 50, tzinfo=UTC)


def test_a_cancellation_is_a_negative_purchase_of_the_same_customer(tmp_path):
    path = write_online_retail(tmp_path / "orders.csv", ROWS)

    services.events_import_online_retail(path=path)

    cancellation = Event.objects.get(order_id="C536379")
    assert (cancellation.type, cancellation.quantity, cancellation.customer_id) == ("purchase", -2, "17850")
    assert cancellation.product.sku == "71053"


def test_refused_lines_are_reported_with_their_line_number_and_reason(tmp_path):
    path = write_online_retail(tmp_path / "orders.csv", ROWS)

    result = services.events_import_online_retail(path=path)

    assert result.errors == [
        (9, "Quantity 'many' is not a whole number"),
        (10, "InvoiceDate 'yesterday' is not a date and time (YYYY-MM-DD HH:MM[:SS])"),
        (11, "UnitPrice 'two' is not a number"),
    ]
    assert not Product.objects.filter(sku__in=["22041", "22042", "22043"]).exists()


def test_importing_the_same_file_again_adds_nothing(tmp_path):
    path = write_online_retail(tmp_path / "orders.csv", ROWS)
    services.events_import_online_retail(path=path)
    events, products = list(Event.objects.values_list("pk", "client_id")), Product.objects.count()

    again = services.events_import_online_retail(path=path)

    assert (again.created, again.already_there, again.products_created) == (0, 6, 0)
    assert list(Event.objects.values_list("pk", "client_id")) == events
    assert Product.objects.count() == products


def test_an_existing_product_is_left_as_the_catalogue_made_it(tmp_path):
    make_product(sku="71053", slug="lantern", title="Metal lantern, white", stock=7)
    path = write_online_retail(tmp_path / "orders.csv", ROWS[:2])

    result = services.events_import_online_retail(path=path)

    lantern = Product.objects.get(sku="71053")
    assert (lantern.slug, lantern.title, lantern.stock) == ("lantern", "Metal lantern, white", 7)
    assert result.products_created == 1
    assert Event.objects.get(client_id="536365:71053:1").product == lantern


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"a,b,c\n1,2,3\n", "no InvoiceNo"),
    (b"\x1f\x8b\x08garbage", "cannot read"),
])
def test_a_file_that_is_not_online_retail_is_refused_whole(tmp_path, content, message):
    path = tmp_path / ("orders.csv.gz" if content.startswith(b"\x1f") else "orders.csv")
    path.write_bytes(content)

    with pytest.raises(online_retail.FileRefused, match=message):
        services.events_import_online_retail(path=path)

    assert not Event.objects.exists()
    assert not Product.objects.exists()


def test_broken_encoding_and_huge_fields_are_refused_by_line_and_the_good_lines_import(tmp_path):
    from tests.recommender.factories import HEADER

    good = "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n"
    path = tmp_path / "orders.csv"
    path.write_bytes(
        (",".join(HEADER) + "\n" + good).encode()
        + "536366,71053,LANTERN \xe9t\xe9,6,2010-12-01 08:26:00,3.39,17850,UK\n".encode("latin-1")  # not UTF-8
        + f"536367,22041,{'X' * 200_000},1,2010-12-01 08:26:00,2.10,15311,UK\n".encode()
        + b"536368,22042,FRAME,1,2010-12-01 08:26:00,2.10,15311,UK\n"
    )

    result = services.events_import_online_retail(path=path)

    assert [line for line, _ in result.errors] == [3, 4], result.errors
    assert "UTF-8" in result.errors[0][1] or "encoding" in result.errors[0][1].lower(), result.errors
    assert set(Event.objects.values_list("order_id", flat=True)) == {"536365", "536368"}
    assert Event.objects.count() == 2
    assert services.events_import_online_retail(path=path).created == 0  # a re-run adds nothing


def _orders(tmp_path, lines: list[str], name: str = "orders.csv"):
    from tests.recommender.factories import HEADER

    path = tmp_path / name
    path.write_text(",".join(HEADER) + "\n" + "".join(lines))
    return path


def test_an_unclosed_quote_is_reported_with_the_lines_it_swallowed(tmp_path):
    """Issue 13: a quote left open at line 3 of a 199-row file must not make 197 rows vanish unreported."""
    lines = [f"5{n:05d},85123A,HEART,1,2010-12-01 08:26:00,2.55,17850,UK\n" for n in range(198)]
    lines[1] = lines[1].replace("HEART", '"HEART', 1)
    path = _orders(tmp_path, lines)

    result = services.events_import_online_retail(path=path)

    assert Event.objects.count() == 1
    (error,) = result.errors
    assert error[0] == 3 and "from line 3 to line 199 (197 lines" in error[1]


def test_one_enormous_line_in_a_gzip_is_refused_with_bounded_memory(tmp_path, settings):
    """Issue 13: a small .csv.gz holding one huge line is read line by line with a bound, not into memory."""
    import gzip
    import tracemalloc

    from tests.recommender.factories import HEADER

    settings.IMPORT_MAX_LINE_BYTES = 64 * 1024
    path = tmp_path / "orders.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write((",".join(HEADER) + "\n536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n").encode())
        handle.write(b"536366,71053,")
        for _ in range(32):
            handle.write(b"X" * (1024 * 1024))
        handle.write(b",6,2010-12-01 08:26:00,3.39,17850,UK\n536368,22042,FRAME,1,2010-12-01 08:26:00,2.10,15311,UK\n")

    tracemalloc.start()
    try:
        result = services.events_import_online_retail(path=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 16 * 1024 * 1024, f"peak {peak:,} bytes for a 32 MB line"
    assert [line for line, _ in result.errors] == [3]
    assert "longer than 65,536 bytes" in result.errors[0][1]
    assert set(Event.objects.values_list("order_id", flat=True)) == {"536365", "536368"}
