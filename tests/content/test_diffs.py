"""The editor's changes: inline for small edits, side by side when most of the text was rewritten."""

from content.diffs import changed_share, text_diff, word_diff


def test_a_small_edit_is_shown_inline():
    diff = text_diff("A warm jumper in grey wool.", "A warm jumper in grey merino wool.")

    assert diff.mode == "inline"
    assert str(diff.inline) == "A warm jumper in grey <ins>merino </ins>wool."


def test_a_rewrite_is_shown_side_by_side_with_each_version_readable():
    before = "Experience the ultimate comfort with this amazing jumper made from 150% pure cotton."
    after = "A grey merino wool jumper, warm and light, for cold days."

    diff = text_diff(before, after)

    assert diff.mode == "side_by_side" and diff.percent > 50
    assert "<ins>" not in diff.before and "<del>" not in diff.after
    assert diff.before.replace("<del>", "").replace("</del>", "") == before
    assert diff.after.replace("<ins>", "").replace("</ins>", "") == after


def test_the_side_by_side_diff_escapes_html():
    diff = text_diff("<b>bold</b> claim here", "Salt & pepper <script>x</script>")

    assert "<script>" not in diff.after and "&lt;script&gt;" in diff.after and "&amp;" in diff.after
    assert "&lt;b&gt;" in diff.before


def test_changed_share():
    assert changed_share("a b c d", "a b c d") == 0
    assert changed_share("a b c d", "a b x d") == 0.25
    assert changed_share("a b", "c d e f") == 1
    assert changed_share("", "") == 0


def test_the_threshold_decides_the_mode():
    assert text_diff("a b c d", "a b x d", threshold=0.2).mode == "side_by_side"
    assert text_diff("a b c d", "a b x d", threshold=0.25).mode == "inline"


def test_word_diff_is_unchanged_for_callers():
    assert str(word_diff("a b", "a c")) == "a <del>b</del><ins>c</ins>"
