"""Bulk import of products and reviews: upserts in batches, and every bad row reported with its line."""

from __future__ import annotations

import gzip
import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from content.importers import ImportRefused, product_bulk_import, review_bulk_import
from content.models import Product, Review
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

HEADER = "sku,title,brand,category,price,currency,stock,is_active,image_urls,attr:material\n"


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    return path


def snapshot(model=Product) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def fields(sku: str) -> dict:
    return Product.objects.values(
        "slug", "title", "brand", "category", "price", "currency", "stock", "is_active", "image_urls", "attributes",
    ).get(sku=sku)


# ------------------------------------------------------------------------------------------ good files


def test_a_good_csv_creates_every_product_with_its_values(tmp_path):
    path = write(tmp_path, "products.csv", HEADER + (
        "A1,Linen Shirt,Acme,shirts,49.90,usd,5,yes,https://img.test/a.jpg | https://img.test/b.jpg,linen\n"
        "A2,Wool Hat,,hats,,,,,,\n"
    ))

    result = product_bulk_import(path=path)

    assert (result.created, result.updated, result.skipped, result.errors) == (2, 0, 0, [])
    assert fields("A1") == {
        "slug": "linen-shirt-a1", "title": "Linen Shirt", "brand": "Acme", "category": "shirts",
        "price": Decimal("49.90"), "currency": "USD", "stock": 5, "is_active": True,
        "image_urls": ["https://img.test/a.jpg", "https://img.test/b.jpg"], "attributes": {"material": "linen"},
    }
    assert fields("A2") == {
        "slug": "wool-hat-a2", "title": "Wool Hat", "brand": "", "category": "hats", "price": None,
        "currency": "EUR", "stock": 0, "is_active": True, "image_urls": [], "attributes": {},
    }


def test_a_json_list_of_objects_imports_like_a_csv(tmp_path):
    items = [
        {"sku": "J1", "title": "Desk Lamp", "price": 19.99, "currency": "EUR", "stock": 3, "is_active": False,
         "image_urls": ["https://img.test/lamp.jpg"], "attributes": {"material": "steel", "watts": 40}},
        {"sku": "J2", "title": "Floor Lamp", "slug": "floor-lamp", "price": "89", "attr:colour": "black"},
    ]
    path = write(tmp_path, "products.json", json.dumps(items, indent=2))

    result = product_bulk_import(path=path)

    assert (result.created, result.updated, result.skipped, result.errors) == (2, 0, 0, [])
    assert fields("J1") == {
        "slug": "desk-lamp-j1", "title": "Desk Lamp", "brand": "", "category": "", "price": Decimal("19.99"),
        "currency": "EUR", "stock": 3, "is_active": False, "image_urls": ["https://img.test/lamp.jpg"],
        "attributes": {"material": "steel", "watts": 40},
    }
    assert fields("J2")["slug"] == "floor-lamp"
    assert fields("J2")["price"] == Decimal("89.00")
    assert fields("J2")["attributes"] == {"colour": "black"}


def test_json_lines_report_bad_lines_by_their_line_number(tmp_path):
    path = write(tmp_path, "products.jsonl", (
        '{"sku": "L1", "title": "One"}\n'
        "\n"
        '{"sku": "L2", "title": "Two"\n'
        '["not", "an", "object"]\n'
        '{"sku": "L3", "title": "Three", "price": "abc"}\n'
        '{"sku": "L4", "title": "Four"}\n'
    ))

    result = product_bulk_import(path=path)

    assert (result.created, result.skipped) == (2, 3)
    assert result.errors == [
        (3, "not valid JSON (Expecting ',' delimiter at column 29)"),
        (4, "expected an object, not a list"),
        (5, 'bad price "abc"'),
    ]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["L1", "L4"]


def test_errors_in_a_json_list_name_the_item_counting_from_one(tmp_path):
    items = [{"sku": "J1", "title": "Good"}, {"title": "No SKU"}, "text", {"sku": "J4", "title": "Good too"}]
    path = write(tmp_path, "products.json", json.dumps(items))

    result = product_bulk_import(path=path)

    assert result.unit == "item"
    assert result.errors == [(2, "missing sku"), (3, "expected an object, not text")]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["J1", "J4"]


def test_gzipped_files_and_an_explicit_format_are_read(tmp_path):
    gz = write(tmp_path, "products.csv.gz", "sku,title\nG1,Gzipped\n")
    odd_name = write(tmp_path, "export.txt", '[{"sku": "G2", "title": "Named oddly"}]')

    assert product_bulk_import(path=gz).created == 1
    assert product_bulk_import(path=odd_name, format="json").created == 1
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["G1", "G2"]


def test_a_semicolon_separated_csv_is_read(tmp_path):
    path = write(tmp_path, "products.csv", "sku;title;price\nS1;Semicolon Shirt;12.50\n")

    result = product_bulk_import(path=path)

    assert result.created == 1
    assert fields("S1")["price"] == Decimal("12.50")


# ------------------------------------------------------------------------------------------ upserts and slugs


def test_reimporting_updates_existing_products_keeps_their_slugs_and_leaves_absent_columns_alone(tmp_path):
    make_product(sku="U1", slug="hand-picked", title="Old title", price=Decimal("10.00"), stock=7, brand="Acme")
    path = write(tmp_path, "products.csv", "sku,title,price,slug\nU1,New title,12.00,ignored-slug\nU2,Brand new,,\n")

    result = product_bulk_import(path=path)

    assert (result.created, result.updated, result.skipped) == (1, 1, 0)
    u1 = fields("U1")
    assert (u1["slug"], u1["title"], u1["price"], u1["stock"], u1["brand"]) == (
        "hand-picked", "New title", Decimal("12.00"), 7, "Acme")
    assert Product.objects.count() == 2


def test_a_derived_slug_that_is_taken_gets_a_number(tmp_path):
    make_product(sku="OTHER", slug="mug-m-1")
    path = write(tmp_path, "products.csv", "sku,title\nM 1,Mug\nm-1,Mug\n")

    result = product_bulk_import(path=path)

    assert result.errors == []
    assert Product.objects.get(sku="M 1").slug == "mug-m-1-2"
    assert Product.objects.get(sku="m-1").slug == "mug-m-1-3"


def test_a_given_slug_used_by_another_product_is_a_bad_row(tmp_path):
    make_product(sku="OWNER", slug="taken")
    before = snapshot()
    path = write(tmp_path, "products.csv", "sku,title,slug\nN1,New,taken\nN2,Also new,Bad Slug!\n")

    result = product_bulk_import(path=path)

    assert result.errors == [
        (2, 'slug "taken" is already used by SKU "OWNER"'),
        (3, 'bad slug "Bad Slug!" (use letters, digits, hyphens and underscores)'),
    ]
    assert snapshot() == before


def test_several_batches_import_every_row(tmp_path):
    rows = "".join(f"B{n},Thing {n},{n}.00\n" for n in range(1, 26))
    path = write(tmp_path, "products.csv", "sku,title,price\n" + rows)
    progress = []

    result = product_bulk_import(path=path, batch_size=10, progress=lambda done, total, read: progress.append(read))

    assert (result.created, result.skipped) == (25, 0)
    assert progress == [10, 20, 25, 25]
    assert Product.objects.get(sku="B25").price == Decimal("25.00")


# ------------------------------------------------------------------------------------------ bad rows


def test_each_kind_of_bad_row_is_reported_with_its_line_and_good_rows_still_import(tmp_path):
    path = write(tmp_path, "products.csv", HEADER + (
        "OK1,Good,,,1.00,,,,,\n"                                   # line 2
        ",No sku,,,1.00,,,,,\n"                                    # line 3
        "X2,,,,1.00,,,,,\n"                                        # line 4
        'X3,Bad price,,,abc,,,,,\n'                                # line 5
        "X4,Bad currency,,,1.00,XYZ,,,,\n"                          # line 6
        "X5,Bad stock,,,1.00,,many,,,\n"                            # line 7
        "X6,Bad flag,,,1.00,,,maybe,,\n"                            # line 8
        "X7,Bad image,,,1.00,,,,not-a-url,\n"                       # line 9
        "X8,Too many,,,1.00,,,,,,extra\n"                           # line 10
        "X9,Negative,,,-1,,,,,\n"                                  # line 11
        "X10,Fractions,,,1.999,,,,,\n"                              # line 12
        ",,,,abc,,,,,\n"                                           # line 13
        "OK2,Also good,,,2.00,,,,,\n"                               # line 14
    ))

    result = product_bulk_import(path=path)

    assert result.errors == [
        (3, "missing sku"),
        (4, "missing title"),
        (5, 'bad price "abc"'),
        (6, 'unknown currency "XYZ"'),
        (7, 'bad stock "many" (expected a whole number)'),
        (8, 'bad is_active "maybe" (expected true/false, 1/0 or yes/no)'),
        (9, 'bad image URL "not-a-url"'),
        (10, "has 11 values but the header has 10 columns"),
        (11, 'price "-1" is negative'),
        (12, 'price "1.999" has more than 2 decimal places'),
        (13, 'missing sku; missing title; bad price "abc"'),
    ]
    assert (result.created, result.updated, result.skipped) == (2, 0, 11)
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["OK1", "OK2"]


def test_a_field_longer_than_the_model_allows_is_a_bad_row(tmp_path):
    path = write(tmp_path, "products.csv", f"sku,title,brand\nH1,{'t' * 301},Acme\nH2,Fits,{'b' * 120}\n")

    result = product_bulk_import(path=path)

    assert result.errors == [(2, "title is too long (301 characters, at most 300)")]
    assert Product.objects.get().sku == "H2"


def test_a_huge_field_is_reported_and_the_rows_after_it_import(tmp_path):
    path = write(tmp_path, "products.csv", f'sku,title\nH1,"{"x" * 200_000}"\nH2,After\n')

    result = product_bulk_import(path=path)

    assert result.errors == [(2, "cannot read the row as CSV: field larger than field limit (131072)")]
    assert list(Product.objects.values_list("sku", flat=True)) == ["H2"]


def test_line_numbers_count_physical_lines_across_quoted_newlines(tmp_path):
    path = write(tmp_path, "products.csv", 'sku,title,price\nQ1,"Two\nlines",1\n\nQ2,After,abc\n')

    result = product_bulk_import(path=path)

    assert result.errors == [(5, 'bad price "abc"')]
    assert Product.objects.get().title == "Two\nlines"


def test_a_line_that_is_not_utf8_is_reported_and_the_others_import(tmp_path):
    content = b"sku,title\nE1,Caf\xc3\xa9\nE2,Caf\xe9\nE3,Tea\n"
    path = write(tmp_path, "products.csv", content)

    result = product_bulk_import(path=path)

    assert result.errors == [(3, "not valid UTF-8 (byte 0xe9 at position 7 of the line)")]
    assert sorted(Product.objects.values_list("sku", "title")) == [("E1", "Café"), ("E3", "Tea")]


def test_an_item_of_a_json_list_that_is_not_utf8_is_reported(tmp_path):
    path = write(tmp_path, "products.json", b'[{"sku": "E1", "title": "Caf\xe9"}, {"sku": "E2", "title": "Tea"}]')

    result = product_bulk_import(path=path)

    assert result.errors == [(1, "contains text that is not valid UTF-8")]
    assert list(Product.objects.values_list("sku", flat=True)) == ["E2"]


def test_nul_characters_and_broken_attributes_are_bad_rows(tmp_path):
    csv_path = write(tmp_path, "products.csv", 'sku,title,attributes\nZ1,Nul\x00here,\nZ2,Bad,"{oops"\nZ3,List,"[1]"\n'
                                               'Z4,Good,"{""material"": ""wool""}"\n')
    json_path = write(
        tmp_path, "products.json", '[{"sku": "Z5", "title": "Nul\\u0000"}, {"sku": "Z6", "title": "Fine"}]'
    )

    csv_result = product_bulk_import(path=csv_path)
    json_result = product_bulk_import(path=json_path)

    assert csv_result.errors == [
        (2, "contains a NUL character"),
        (3, "attributes is not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
        (4, "attributes must be a JSON object, not a list"),
    ]
    assert json_result.errors == [(1, "contains a NUL character")]
    assert sorted(Product.objects.values_list("sku", "attributes")) == [("Z4", {"material": "wool"}), ("Z6", {})]


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    path = write(tmp_path, "products.csv", "\ufeffsku,title\nBOM1,Über Shirt\n")

    result = product_bulk_import(path=path)

    assert (result.created, result.errors, result.warnings) == (1, [], [])
    assert Product.objects.get().title == "Über Shirt"


def test_a_repeated_sku_imports_the_first_row_and_reports_the_later_one(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title\nD1,First\nD2,Other\nD1,Second\n")

    result = product_bulk_import(path=path)

    assert result.errors == [(4, 'duplicate SKU "D1" (first at line 2)')]
    assert Product.objects.get(sku="D1").title == "First"


def test_unknown_columns_are_ignored_with_a_warning(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title,colour\nW1,Shirt,red\n")

    result = product_bulk_import(path=path)

    assert result.warnings == ["ignored unknown columns: colour"]
    assert fields("W1")["attributes"] == {}


def test_a_batch_the_database_refuses_is_reported_row_by_row_and_other_batches_stay(tmp_path, monkeypatch):
    path = write(tmp_path, "products.csv", "sku,title\nR1,One\nR2,Two\nR3,Three\n")
    real = Product.objects.bulk_create
    calls = []

    def refuse_second(objs, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise IntegrityError("simulated")
        return real(objs, **kwargs)

    monkeypatch.setattr(Product.objects, "bulk_create", refuse_second)

    result = product_bulk_import(path=path, batch_size=2)

    assert result.errors == [(4, "not written: the database refused this batch (simulated)")]
    assert (result.created, result.skipped) == (2, 1)
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["R1", "R2"]


def test_a_truncated_gzip_keeps_the_batches_read_and_reports_where_reading_stopped(tmp_path):
    rows = "".join(f"T{n},Thing number {n} with a longer title {n * 7919}\n" for n in range(1, 3001))
    path = tmp_path / "products.csv.gz"
    data = gzip.compress(("sku,title\n" + rows).encode())
    path.write_bytes(data[: len(data) * 2 // 3])

    result = product_bulk_import(path=path, batch_size=100)

    [(line, reason)] = result.errors
    assert reason == (
        "could not read the rest of the file: Compressed file ended before the end-of-stream marker was reached")
    assert 1000 < line < 3002
    assert (result.created, Product.objects.count()) == (line - 2, line - 2)  # every complete line read before it
    last = line - 2
    assert Product.objects.get(sku=f"T{last}").title == f"Thing number {last} with a longer title {last * 7919}"


# ------------------------------------------------------------------------------------------ refused files


def test_a_missing_required_column_refuses_the_whole_file_and_writes_nothing(tmp_path):
    make_product(sku="KEEP", title="Unchanged")
    before = snapshot()
    path = write(tmp_path, "products.csv", "sku,name,price\nKEEP,Changed,1.00\nNEW,New,2.00\n")

    with pytest.raises(ImportRefused) as refused:
        product_bulk_import(path=path)

    assert str(refused.value) == "missing required column title; the header (line 1) has: sku, name, price"
    assert snapshot() == before


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "the file is empty"),
    ("products.xlsx", b"PK",
     "cannot tell the format from the file name 'products.xlsx'; pass --format csv or --format json"),
    ("bad.json", b'[{"sku": "A"', "not valid JSON: Expecting ',' delimiter: line 1 column 13 (char 12)"),
    ("object.json", b'  "text"',
     "not JSON the import understands: expected a list of objects ([...]) or one object per line"),
    ("twice.csv", b"sku,title,SKU\n", "the column 'sku' appears more than once in the header"),
    ("broken.csv.gz", b"\x1f\x8bnot really gzip", "cannot read the file: Unknown compression method"),
])
def test_a_file_that_cannot_be_read_is_refused_before_anything_is_written(tmp_path, name, content, message):
    make_product(sku="KEEP")
    before = snapshot()
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ImportRefused) as refused:
        product_bulk_import(path=path)

    assert str(refused.value) == message
    assert snapshot() == before


def test_a_file_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="cannot open the file: No such file or directory"):
        product_bulk_import(path=tmp_path / "missing.csv")


# ------------------------------------------------------------------------------------------ dry run


def test_a_dry_run_validates_and_counts_but_writes_nothing(tmp_path):
    make_product(sku="DRY1", title="Old")
    before = snapshot()
    path = write(tmp_path, "products.csv", "sku,title,price\nDRY1,New,1.00\nDRY2,Other,abc\nDRY3,Third,\n")

    result = product_bulk_import(path=path, dry_run=True)

    assert (result.created, result.updated, result.skipped, result.dry_run) == (1, 1, 1, True)
    assert result.errors == [(3, 'bad price "abc"')]
    assert snapshot() == before


# ------------------------------------------------------------------------------------------ reviews


REVIEW_HEADER = "sku,external_id,rating,title,body,author,reviewed_at\n"


def test_reviews_import_for_known_products_and_unknown_skus_are_reported(tmp_path):
    shirt = make_product(sku="RV1")
    path = write(tmp_path, "reviews.csv", REVIEW_HEADER + (
        "RV1,r-1,5,Great,Fits well.,Ann,2024-05-31\n"
        "NOPE,r-2,4,Fine,,Bob,\n"
        "RV1,r-3,0,Zero,,,\n"
        "RV1,r-4,4,,,,31/05/2024\n"
        "RV1,,3,,,,\n"
        "RV1,r-1,1,Again,,,\n"
        "RV1,r-5,4,,Short.,,2024-06-01T10:00:00+02:00\n"
    ))

    result = review_bulk_import(path=path)

    assert result.errors == [
        (3, 'unknown SKU "NOPE" (no such product)'),
        (4, 'bad rating "0" (expected a whole number from 1 to 5)'),
        (5, 'bad reviewed_at "31/05/2024" (expected an ISO date like 2024-05-31)'),
        (6, "missing external_id"),
        (7, 'duplicate review "r-1" for SKU "RV1" (first at line 2)'),
    ]
    assert (result.created, result.updated, result.skipped) == (2, 0, 5)
    assert list(Review.objects.order_by("external_id").values_list(
        "product", "external_id", "rating", "title", "body", "author", "reviewed_at")) == [
        (shirt.pk, "r-1", 5, "Great", "Fits well.", "Ann", date(2024, 5, 31)),
        (shirt.pk, "r-5", 4, "", "Short.", "", date(2024, 6, 1)),
    ]


def test_reimporting_a_review_updates_it_in_place(tmp_path):
    shirt = make_product(sku="RV1")
    other = make_product(sku="RV2")
    Review.objects.create(product=shirt, external_id="r-1", rating=2, title="Meh", author="Ann")
    path = write(tmp_path, "reviews.jsonl", (
        '{"sku": "RV1", "external_id": "r-1", "rating": 4, "title": "Better after a wash"}\n'
        '{"sku": "RV2", "external_id": "r-1", "rating": 5}\n'
    ))

    result = review_bulk_import(path=path)

    assert (result.created, result.updated, result.errors) == (1, 1, [])
    reviews = Review.objects.order_by("product", "external_id").values_list("product", "rating", "title", "author")
    assert list(reviews) == [
        (shirt.pk, 4, "Better after a wash", "Ann"),
        (other.pk, 5, "", ""),
    ]


def test_a_review_file_without_a_rating_column_is_refused(tmp_path):
    make_product(sku="RV1")
    path = write(tmp_path, "reviews.csv", "sku,external_id\nRV1,r-1\n")

    with pytest.raises(ImportRefused, match="missing required column rating"):
        review_bulk_import(path=path)

    assert Review.objects.count() == 0


def test_a_review_dry_run_writes_nothing(tmp_path):
    make_product(sku="RV1")
    path = write(tmp_path, "reviews.csv", REVIEW_HEADER + "RV1,r-1,5,,,,\nNOPE,r-2,5,,,,\n")

    result = review_bulk_import(path=path, dry_run=True)

    assert (result.created, result.skipped) == (1, 1)
    assert Review.objects.count() == 0


# ------------------------------------------------------------------------------------------ the commands


def run(command: str, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=err, no_color=True)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_a_summary_and_the_errors_and_writes_the_report(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title,price\nC1,Good,1.00\nC2,Bad,abc\n")
    report = tmp_path / "errors.csv"

    out, err = run("import_products", path, "--errors", report)

    assert f"{path}: 1 created, 0 updated, 1 skipped." in out
    assert '1 error:\n  line 3: bad price "abc"\n' in out
    assert "products.csv (2 rows): 100%" in err
    assert report.read_text() == 'line,reason\n3,"bad price ""abc"""\n'


def test_the_command_shows_only_the_first_fifty_errors(tmp_path):
    rows = "".join(f"E{n},Bad,abc\n" for n in range(60))
    path = write(tmp_path, "products.csv", "sku,title,price\nOK,Good,1\n" + rows)

    out, _ = run("import_products", path)

    assert "60 errors, the first 50:" in out
    assert "  line 52: " in out and "  line 53: " not in out
    assert "... and 10 more (--errors PATH writes them all)" in out


def test_the_command_dry_run_says_so_and_writes_nothing(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title\nC1,Good\n")

    out, _ = run("import_products", path, "--dry-run")

    assert f"Dry run, nothing written. {path}: 1 to create, 0 to update, 0 skipped." in out
    assert Product.objects.count() == 0


def test_the_command_fails_when_required_columns_are_missing(tmp_path):
    path = write(tmp_path, "products.csv", "title\nNo SKU column\n")

    with pytest.raises(CommandError) as failed:
        run("import_products", path)

    assert str(failed.value) == (
        f"{path}: missing required column sku; the header (line 1) has: title. Nothing was imported.")
    assert Product.objects.count() == 0


def test_the_command_fails_when_no_row_could_be_imported(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title,price\nC1,Bad,abc\n")

    with pytest.raises(CommandError, match="no products imported"):
        run("import_products", path)


def test_the_review_command_imports_reviews(tmp_path):
    make_product(sku="RV1")
    path = write(tmp_path, "reviews.csv", REVIEW_HEADER + "RV1,r-1,5,,,,\n")

    out, _ = run("import_reviews", path)

    assert f"{path}: 1 created, 0 updated, 0 skipped." in out
    assert Review.objects.get().rating == 5


@pytest.mark.parametrize("price", ["1e3", "1E3", "2.5e2", "Infinity", "NaN", "1_000", "0x10"])
def test_a_price_that_is_not_a_decimal_with_a_dot_is_a_bad_row(tmp_path, price):
    path = write(tmp_path, "products.csv", f"sku,title,price\nE1,Exponent,{price}\nE2,Plain,1000.00\n")

    result = product_bulk_import(path=path)

    assert len(result.errors) == 1 and result.errors[0][0] == 2
    assert result.errors[0][1].startswith(f'bad price "{price}"')
    assert [(p.sku, p.price) for p in Product.objects.all()] == [("E2", Decimal("1000.00"))]


def test_an_exponent_price_names_the_expected_form(tmp_path):
    path = write(tmp_path, "products.csv", "sku,title,price\nE1,Exponent,1e3\n")

    assert product_bulk_import(path=path).errors == [
        (2, 'bad price "1e3" (expected a decimal with a dot, such as 19.90)')]
