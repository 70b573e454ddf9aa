"""The threshold measurement of the review-support check runs end to end (fake embedder, a tiny file)."""

import gzip

from django.core.management import call_command

from content import review_evaluation

HEADER = ("Clothing ID,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,Division Name,"
          "Department Name,Class Name\n")


def write_reviews(path):
    lines = [HEADER]
    texts = {
        "1": ("Dresses", "The fabric is soft and the dress is lovely."),
        "2": ("Dresses", "The zipper broke and the seams are weak."),
        "3": ("Pants", "These pants are long and the waist is tight."),
    }
    for product, (klass, text) in texts.items():
        for n in range(6):
            lines.append(
                f'{product},,"{text} It fits well number {n}.",{4 if n else 2},1,{n},General,{klass},{klass}\n'
            )
    with gzip.open(path, "wt") as handle:
        handle.writelines(lines)


def test_the_evaluation_reports_precision_and_recall_per_threshold(tmp_path):
    path = tmp_path / "reviews.csv.gz"
    write_reviews(path)
    from ecomcms.inference.fake import FakeEmbedder

    report = review_evaluation.evaluate(review_evaluation.reviews_load(path), lambda t: FakeEmbedder().embed(t).vectors,
                                        products=3, min_reviews=5, thresholds=[0.0, 0.99])

    assert report["products"] == 3 and report["claims"] > 0 and report["extractive_claims"] > 0
    low, high = report["rows"]
    assert low["recall"] == 1.0 and low["extractive_passed"] == 1.0 and low["other_flagged"] == 0.0
    assert high["other_class_flagged"] == 1.0
    assert review_evaluation.threshold_for_precision(report["rows"], 2.0) is None


def test_the_command_prints_the_table(tmp_path, settings, capsys):
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    from ecomcms import inference

    inference.reset()
    path = tmp_path / "reviews.csv.gz"
    write_reviews(path)
    try:
        call_command("evaluate_review_support", "--path", str(path), "--products", "3")
    finally:
        inference.reset()

    out = capsys.readouterr().out
    assert "| threshold | own vs same-class precision |" in out and "| 0.70 |" in out
