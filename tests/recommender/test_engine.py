"""Tests for the pure-Python recommender engine on a tiny hand-made shop.

The shop (all times 10:00 in January 2011, test window = last 10 days, so
the cut is 2011-01-10 10:00)::

    customer  invoice  day  items
    1         i01      1    A B      (+ POST and D fee lines, dropped at load)
    2         i04      2    B C
    1         i02      3    A C
    2         i05      4    D
    1         i03      5    A D      (D cancelled the same day by C03)
    3         i06      6    A D
    (guest)   i07      6    B C
    --------------------------------- cut
    1         i08      15   A E
    2         i09      16   C
    4         i11      18   A        (no history before the cut: not tested)
    2         i10      20   F

StockCodes are A1..F1 (bare "B", "D", "M"... are real fee codes that the
loader drops). Item indices: A=0 B=1 C=2 D=3 E=4 F=5; user indices: "1"=0
"2"=1 "3"=2 "4"=3.
"""

from __future__ import annotations

import csv
import gzip
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from implicit.nearest_neighbours import BM25Recommender

from recommender.engine import (
    ANONYMOUS,
    Blend,
    BlendParams,
    BM25ItemKNN,
    BoughtTogether,
    BuyAgain,
    CollaborativeFiltering,
    DecayedPopularity,
    ItemSimilarity,
    SessionRecommender,
    embedding_matrix,
    evaluate_rankings,
    load_online_retail,
    net_cancellations,
    temporal_split,
    top_k,
    tune_blend,
)
from recommender.engine.data import make_events
from recommender.engine.evaluate import evaluate, format_table
from recommender.engine.metrics import catalog_coverage

A, B, C, D, E, F = range(6)
C1, C2, C3, C4 = range(4)

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
          "CustomerID", "Country"]
# (invoice, item, quantity, day, customer)
SHOP = [
    ("i01", "A1", 1, 1, "1"), ("i01", "B1", 2, 1, "1"), ("i01", "POST", 1, 1, "1"),
    ("i04", "B1", 1, 2, "2"), ("i04", "C1", 1, 2, "2"),
    ("i02", "A1", 1, 3, "1"), ("i02", "C1", 1, 3, "1"),
    ("i05", "D1", 1, 4, "2"),
    ("i03", "A1", 6, 5, "1"), ("i03", "D1", 1, 5, "1"), ("C03", "D1", -1, 5, "1"),
    ("i06", "A1", 1, 6, "3"), ("i06", "D1", 1, 6, "3"),
    ("i07", "B1", 1, 6, ""), ("i07", "C1", 1, 6, ""),
    ("x99", "C1", -3, 7, ""),  # a stock write-off, not a customer action
    ("i01", "D", 1, 1, "1"),  # "D" is the shop's Discount code, not a product
    ("i08", "A1", 1, 15, "1"), ("i08", "E1", 1, 15, "1"),
    ("i09", "C1", 1, 16, "2"),
    ("i11", "A1", 1, 18, "4"),
    ("i10", "F1", 1, 20, "2"),
]


def _when(day: int, hour: int = 10) -> str:
    return f"2011-01-{day:02d} {hour:02d}:00:00"


def write_shop(path: Path, rows=SHOP) -> Path:
    with gzip.open(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for invoice, item, quantity, day, customer in rows:
            hour = 12 if invoice.startswith("C1") else 10
            writer.writerow([invoice, item, f"ITEM {item}", quantity, _when(day, hour), "1.25",
                             customer, "United Kingdom"])
    return path


@pytest.fixture()
def shop_path(tmp_path: Path) -> Path:
    return write_shop(tmp_path / "shop.csv.gz")


@pytest.fixture()
def split(shop_path: Path):
    return temporal_split(load_online_retail(shop_path, net=False), test_days=10)


@pytest.fixture()
def train(split):
    return split.train


def names(model, ranked) -> list[str]:
    return [str(model.train.item_ids[i]) for i in ranked if i >= 0]


# --- loading and cancellations -------------------------------------------------

def test_loader_drops_fees_and_write_offs_and_nets_cancellations(shop_path):
    events = load_online_retail(shop_path)
    assert list(events.item_ids) == ["A1", "B1", "C1", "D1", "E1", "F1"]
    assert list(events.user_ids) == ["1", "2", "3", "4"]
    assert (events.quantity > 0).all()
    # c1's D on i03 was cancelled; the guest's write-off of C is gone.
    c1_items = set(events.item[events.user == C1].tolist())
    assert D not in c1_items
    assert len(events) == 17
    assert list(events.timestamp) == sorted(events.timestamp)
    assert events.customer[events.user == ANONYMOUS].tolist() == [None, None]
    assert events.description[0] == "ITEM A1"


def test_item_description_is_the_most_common_name():
    events = make_events(
        ["1"] * 4, ["a", "b", "c", "d"], ["X"] * 4, [1] * 4,
        [_when(day) for day in (1, 2, 3, 4)],
        description=["OLD NAME", "NEW NAME", "", "NEW NAME"],
    )
    assert events.item_descriptions.tolist() == ["NEW NAME"]


def test_loader_keeps_cancellation_rows_when_not_netting(shop_path):
    raw = load_online_retail(shop_path, net=False)
    assert raw.quantity.min() == -1
    assert len(raw) == 19  # POST and the write-off dropped, C03 kept


def _events(rows):
    """rows: (customer, invoice, item, quantity, day)."""
    customer, invoice, item, quantity, day = zip(*rows)
    return make_events(customer, invoice, item, quantity, [_when(d) for d in day])


def test_cancellation_consumes_most_recent_purchases_first():
    events = _events([
        ("1", "p1", "X", 5, 1),
        ("1", "p2", "X", 2, 3),
        ("1", "C1", "X", -3, 4),
        ("2", "p3", "X", 4, 2),  # another customer's purchase is untouched
    ])
    net = net_cancellations(events)
    assert sorted(zip(net.session_ids[net.session].tolist(), net.quantity.tolist())) == [
        ("p1", 4), ("p3", 4)
    ]


def test_cancellation_rules_for_unmatched_lines():
    events = _events([
        ("1", "C0", "Y", -1, 1),   # before the purchase: cancels nothing
        ("1", "p1", "Y", 1, 2),
        ("1", "p2", "Z", 3, 2),
        ("1", "C2", "Z", -10, 3),  # more than was bought: the line goes, the rest is ignored
        (None, "g1", "Y", 2, 2),
        (None, "C3", "Y", -2, 3),  # anonymous: cannot be matched to a buyer
    ])
    net = net_cancellations(events)
    kept = sorted(zip(net.session_ids[net.session].tolist(), net.quantity.tolist()))
    assert kept == [("g1", 2), ("p1", 1)]


# --- temporal split ------------------------------------------------------------

def test_split_keeps_customers_with_history_on_both_sides(split):
    assert split.cut == np.datetime64("2011-01-10T10:00:00")
    assert split.test_users.tolist() == [C1, C2]  # c3: nothing after; c4: nothing before
    assert [sorted(r.tolist()) for r in split.relevant] == [[A, E], [C, F]]
    assert split.train.timestamp.max() < split.cut
    assert split.catalog.tolist() == [A, B, C, D]


def test_split_counts_repeat_purchases_as_targets(split):
    c1_before = set(split.train.item[split.train.user == C1].tolist())
    assert A in c1_before and A in split.relevant[0]


def test_split_does_not_let_later_cancellations_leak_into_training():
    events = _events([
        ("1", "p1", "X", 1, 1),
        ("1", "p2", "Y", 1, 2),
        ("1", "C9", "X", -1, 15),  # cancelled after the cut
        ("1", "p3", "Y", 1, 16),
        ("1", "p4", "Z", 1, 17),
        ("1", "C8", "Z", -1, 18),  # bought and cancelled inside the test window
        ("1", "p5", "W", 1, 20),
    ])
    split = temporal_split(events, test_days=10)
    assert sorted(split.train.item_ids[split.train.item].tolist()) == ["X", "Y"]
    assert sorted(events.item_ids[split.relevant[0]].tolist()) == ["W", "Y"]


# --- metrics -------------------------------------------------------------------

def test_metrics_exact_values():
    recommended = np.array([[0, 1, 2], [0, 1, 2], [5, -1, -1]])
    relevant = [np.array([0, 4]), np.array([2, 5]), np.array([5, 6, 7, 8])]
    m = evaluate_rankings(recommended, relevant, catalog=np.arange(10), k=3)
    idcg2 = 1 + 1 / math.log2(3)
    idcg3 = idcg2 + 0.5
    assert m["precision"] == pytest.approx((1 / 3 + 1 / 3 + 1 / 3) / 3)
    assert m["recall"] == pytest.approx((1 / 2 + 1 / 2 + 1 / 4) / 3)
    assert m["ndcg"] == pytest.approx((1 / idcg2 + 0.5 / idcg2 + 1 / idcg3) / 3)
    # AP: hits' precision summed, over min(|R|, k)
    assert m["map"] == pytest.approx((1 / 2 + (1 / 3) / 2 + 1 / 3) / 3)
    assert m["coverage"] == pytest.approx(4 / 10)  # items 0, 1, 2, 5


def test_perfect_list_scores_one_even_with_more_relevant_than_k():
    m = evaluate_rankings(np.array([[3, 2]]), [np.array([1, 2, 3])], np.arange(4), k=2)
    assert m["ndcg"] == pytest.approx(1.0)
    assert m["map"] == pytest.approx(1.0)
    assert m["recall"] == pytest.approx(2 / 3)


def test_coverage_ignores_padding_and_items_outside_catalog():
    assert catalog_coverage(np.array([[0, -1], [9, 1]]), np.array([0, 1, 2, 3])) == 0.5


def test_top_k_breaks_ties_by_lower_index_and_pads():
    scores = np.array([[1.0, 3.0, 3.0, -np.inf, 3.0], [-np.inf, 2.0, -np.inf, -np.inf, -np.inf]])
    assert top_k(scores, 2).tolist() == [[1, 2], [1, -1]]


# --- baselines -----------------------------------------------------------------

def test_popularity_counts_purchase_occasions(split, train):
    model = DecayedPopularity(half_life_days=None, name="popularity").fit(train)
    assert model.popularity[:4].tolist() == [4, 3, 3, 2]  # A on i01 i02 i03 i06; D only i05 i06
    ranked = model.recommend(split.test_users, 10)
    assert names(model, ranked[0]) == ["A1", "B1", "C1", "D1"]  # B/C tie -> lower index
    m = evaluate_rankings(ranked, split.relevant, split.catalog, k=3)
    idcg = 1 + 1 / math.log2(3)
    assert m["precision"] == pytest.approx(1 / 3)
    assert m["recall"] == pytest.approx(1 / 2)
    assert m["ndcg"] == pytest.approx((1 + 0.5) / 2 / idcg)
    assert m["map"] == pytest.approx((1 / 2 + 1 / 6) / 2)
    assert m["coverage"] == pytest.approx(3 / 4)


def test_buy_again_orders_by_count_then_recency_then_popularity(train):
    model = BuyAgain().fit(train)
    ranked = model.recommend(np.array([C1, C2, C4]), 4)
    assert names(model, ranked[0]) == ["A1", "C1", "B1", "D1"]  # A x3; C (day 3) before B (day 1)
    assert names(model, ranked[1]) == ["D1", "B1", "C1", "A1"]  # D newest; B/C same invoice
    assert names(model, ranked[2]) == ["A1", "B1", "C1", "D1"]  # no history: popularity
    assert model.reason(C1, A) == ("bought_before", "A1")
    assert model.reason(C1, D) == ("popular", None)


def _blocks():
    """Two taste groups: customers 0-5 buy A1 B1 C1, customers 6-11 buy D1 E1
    F1; customer 12 has bought only A1 and B1."""
    rows, invoice = [], 0
    for customer in range(12):
        items = "ABC" if customer < 6 else "DEF"
        for visit in range(3):
            invoice += 1
            for item in items:
                rows.append((f"u{customer:02d}", f"i{invoice}", f"{item}1", 1, 1 + visit))
    rows += [("u12", "i900", "A1", 1, 2), ("u12", "i900", "B1", 1, 2)]
    return _events(rows)


def test_als_learns_taste_groups_and_is_reproducible():
    events = _blocks()
    model = CollaborativeFiltering(factors=4, iterations=20, regularization=0.01).fit(events)
    top3 = model.recommend(np.array([12]), 3)[0]
    assert set(names(model, top3)) == {"A1", "B1", "C1"}
    again = CollaborativeFiltering(factors=4, iterations=20, regularization=0.01).fit(events)
    assert np.allclose(model.score(np.array([12])), again.score(np.array([12])))
    assert np.all(model.score(np.array([ANONYMOUS])) == 0)  # new visitor: no opinion


def test_bm25_matches_implicit_recommend_and_groups():
    events = _blocks()
    model = BM25ItemKNN(neighbours=100).fit(events)
    users = np.arange(13)
    ours = model.recommend(users, 3)
    reference = BM25Recommender(K=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # implicit warns about its own COO matrix
        reference.fit(model.confidence, show_progress=False)
    ids, _ = reference.recommend(users, model.confidence[users], N=3,
                                 filter_already_liked_items=False)
    assert [set(row) for row in ours.tolist()] == [set(row) for row in ids.tolist()]
    assert set(names(model, ours[12])) == {"A1", "B1", "C1"}


# --- product recommenders ------------------------------------------------------

def test_decayed_popularity_prefers_recent_sales_and_filters_by_category(train):
    categories = {"A1": "mugs", "B1": "mugs", "C1": "candles", "D1": "candles"}
    model = DecayedPopularity(half_life_days=1.0, categories=categories).fit(train)
    # ages from the last training sale (day 6): A sold 5, 3, 1 and 0 days before
    assert model.popularity[A] == pytest.approx(2**-5 + 2**-3 + 2**-1 + 1)
    assert names(model, model.recommend(np.array([C1]), 4)[0]) == ["A1", "D1", "C1", "B1"]
    top = model.top_in_category("candles", 2)
    assert [r.item_id for r in top] == ["D1", "C1"]
    assert top[0].reason == ("popular", "candles")


def test_bought_together_uses_lift_within_invoices(train):
    model = BoughtTogether(min_support=1, neighbours=10).fit(train)
    # 7 invoices; B on 3, C on 3, together on 2: lift = 2 * 7 / (3 * 3)
    assert model.similarity[B, C] == pytest.approx(14 / 9)
    assert model.similarity[A, D] == pytest.approx(7 / 8)
    related = model.recommend_for_items([B], 3)
    assert [(r.item_id, r.reason) for r in related] == [
        ("C1", ("bought_with", "B1")), ("A1", ("bought_with", "B1"))]
    # c2's latest basket is {D}: only A was ever bought with D
    assert names(model, model.recommend(np.array([C2]), 1)[0]) == ["A1"]
    strict = BoughtTogether(min_support=2, neighbours=10).fit(train)
    assert [r.item_id for r in strict.recommend_for_items([B], 3)] == ["C1"]


def test_item_similarity_is_customer_cooccurrence_cosine(train):
    model = ItemSimilarity().fit(train)
    # buyers: c1 {A B C}, c2 {B C D}, c3 {A D}, guest i07 {B C}
    assert model.similarity[B, C] == pytest.approx(1.0)
    assert model.similarity[A, D] == pytest.approx(0.5)
    assert model.similarity[A, B] == pytest.approx(1 / math.sqrt(6))
    assert model.similarity[A, A] == 0
    assert [r.item_id for r in model.similar_items(A, 3)] == ["D1", "B1", "C1"]
    assert names(model, model.recommend(np.array([C3]), 4)[0]) == ["B1", "C1", "A1", "D1"]
    assert model.reason(C3, B) == ("similar_to", "A1")  # A and D tie; lower index wins


def test_item_similarity_reaches_new_items_through_embeddings(train):
    vectors = np.zeros((train.n_items, 3))
    vectors[[A, B, C, D, E], :] = [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0.1]]
    plain = ItemSimilarity().fit(train)
    assert E not in plain.recommend(np.array([C1]), 6)[0]
    model = ItemSimilarity(embeddings=vectors).fit(train)
    assert model.recommendable.tolist() == [True, True, True, True, True, False]  # F: no vector
    first = model.similar_items(A, 1)[0]
    assert (first.item_id, first.reason) == ("E1", ("similar_to", "A1"))
    # warm pairs keep pure co-occurrence unless content_weight says otherwise
    assert model.similarity[B, C] == pytest.approx(1.0)


def test_embedding_matrix_aligns_vectors_to_item_indices(train):
    matrix = embedding_matrix(train.item_ids, {"B1": [1.0, 2.0], "E1": [3.0, 4.0], "Z9": [5, 6]})
    assert matrix.tolist() == [[0, 0], [1, 2], [0, 0], [0, 0], [3, 4], [0, 0]]


def test_session_weights_recent_items_more(train):
    model = SessionRecommender(position_decay=0.8).fit(train)
    recs = model.recommend_for_session([D, A], 2)  # A is the latest
    assert [r.item_id for r in recs] == ["B1", "C1"]
    assert recs[0].score == pytest.approx((1 + 0.8) / math.sqrt(6))
    assert recs[0].reason == ("similar_to", "A1")
    # offline context: c1's distinct items, newest first: A (day 5), C (day 3), B (day 1)
    assert model.context(np.array([C1])).toarray()[0, :4].tolist() == pytest.approx(
        [1.0, 0.64, 0.8, 0.0])


def test_blend_ranks_own_staples_first_with_reasons(train):
    model = Blend().fit(train)
    recs = model.recommend_with_reasons(C1, 4)
    assert recs[0].item_id == "A1"
    assert recs[0].reason == ("bought_before", "A1")
    assert {r.reason[0] for r in recs} <= {"bought_before", "similar_to", "customers_like_you",
                                          "popular"}


def test_blend_cold_start_visitor_gets_decayed_popularity(train):
    categories = {"A1": "mugs", "B1": "mugs", "C1": "candles", "D1": "candles"}
    model = Blend(BlendParams(popularity_half_life_days=1.0), categories=categories).fit(train)
    popular = DecayedPopularity(half_life_days=1.0).fit(train)
    for visitor in (ANONYMOUS, C4):
        assert model.recommend(np.array([visitor]), 4).tolist() == popular.recommend(
            np.array([visitor]), 4).tolist()
    recs = model.recommend_with_reasons(ANONYMOUS, 2)
    assert [(r.item_id, r.reason) for r in recs] == [("A1", ("popular", "mugs")),
                                                    ("D1", ("popular", "candles"))]


def test_blend_cold_start_item_reaches_buyers_of_similar_items(train):
    vectors = np.zeros((train.n_items, 2))
    vectors[[A, D, E]] = [[1, 0], [0, 1], [1, 0]]
    model = Blend(embeddings=vectors).fit(train)
    recs = {r.item_id: r.reason for r in model.recommend_with_reasons(C3, 5)}
    assert recs["E1"] == ("similar_to", "A1")
    assert "E1" not in {r.item_id for r in Blend().fit(train).recommend_with_reasons(C3, 5)}


def test_blend_weights_change_the_ranking(train):
    repeat_only = Blend(BlendParams(neighbours_weight=0, cf_weight=0, popularity_weight=0))
    repeat_only.fit(train)
    # c2 bought B, C and D once each: with only repeat scores they tie (index order)
    assert names(repeat_only, repeat_only.recommend(np.array([C2]), 3)[0]) == ["B1", "C1", "D1"]
    recent = repeat_only.with_params(BlendParams(repeat_half_life_days=1.0, neighbours_weight=0,
                                                 cf_weight=0, popularity_weight=0))
    assert names(recent, recent.recommend(np.array([C2]), 1)[0]) == ["D1"]  # day 4 beats day 2


# --- tuning and evaluation entry point -----------------------------------------

def test_tune_blend_searches_the_whole_grid_on_training_data(shop_path):
    events = load_online_retail(shop_path, net=False)
    before_cut = events.take(events.timestamp < np.datetime64("2011-01-10T10:00"))
    grid = {"repeat_half_life_days": (None,), "popularity_half_life_days": (3.0, 7.0),
            "neighbours_weight": (0.1,), "cf_weight": (0.0, 0.2), "popularity_weight": (0.5,)}
    result = tune_blend(before_cut, validation_days=3, k=3, grid=grid)
    assert len(result.trials) == 4
    assert result.best in [params for params, _ in result.trials]
    assert result.best_ndcg == max(ndcg for _, ndcg in result.trials)
    assert result.validation_users == 2  # c1 and c2 buy on both sides of day 3


def test_evaluate_reports_every_recommender(shop_path):
    results = evaluate(shop_path, test_days=10, k=3)
    assert list(results) == ["popularity", "buy_again", "implicit_als", "implicit_bm25",
                             "decayed_popularity", "bought_together", "item_similarity",
                             "user_cf", "session", "blend"]
    for values in results.values():
        assert set(values) == {"precision", "recall", "ndcg", "map", "coverage", "fit_seconds"}
    assert results["popularity"]["ndcg"] == pytest.approx(0.75 / (1 + 1 / math.log2(3)))
    table = format_table(results, k=3)
    assert "ndcg@3" in table.splitlines()[0]
    assert len(table.splitlines()) == 12
