"""Scoring against gold alignments, as defined in ../shared/gold/README.md: strict and lax P/R/F1 micro-averaged,
null links exploded per sentence, added/dropped sentences scored apart. Expected figures are computed by hand
in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.errors import AlignerError, GoldFormatError, InputError
from aligner.evaluate import Counts, count, evaluate_paths, format_links, pair_files, parse_links, score

approx = pytest.approx


def L(text: str):
    return parse_links(text)


# ---- parsing ------------------------------------------------------------------------------------------------------

def test_parse_links_all_shapes():
    text = "[0]:[0, 1]\n[1, 2]:[2]\n\n  [3]  :  [ ]  \n[]:[3,4]\n[4]:[5]"
    assert parse_links(text) == [((0,), (0, 1)), ((1, 2), (2,)), ((3,), ()), ((), (3, 4)), ((4,), (5,))]


@pytest.mark.parametrize("bad", ["[0]-[1]", "[0]:[a]", "0:1", "[0]:[1]:[2]", "[-1]:[0]", "[0]:[1"])
def test_parse_error_names_file_and_line(bad):
    with pytest.raises(GoldFormatError) as exc:
        parse_links(f"[0]:[0]\n\n{bad}\n[1]:[1]\n", "doc.gold")
    assert str(exc.value).startswith("doc.gold, line 3: ")
    assert isinstance(exc.value, AlignerError)


def test_format_links_writes_the_gold_format():
    links = [((0,), (0, 1)), ((1, 2), (2,)), ((), (3,)), ((3,), ())]
    assert format_links(links) == "[0]:[0, 1]\n[1, 2]:[2]\n[]:[3]\n[3]:[]\n"


ids = st.lists(st.integers(0, 500), max_size=4, unique=True).map(lambda x: tuple(sorted(x)))


@given(st.lists(st.tuples(ids, ids)))
def test_format_then_parse_round_trips(links):
    assert parse_links(format_links(links)) == links


# ---- strict and lax -----------------------------------------------------------------------------------------------

def test_identical_alignments_score_one():
    gold = L("[0]:[0]\n[1, 2]:[1]\n[]:[2]\n[3]:[]\n[4]:[3, 4]\n")
    s = score(gold, gold)
    assert (s.strict_p, s.strict_r, s.strict_f1, s.lax_p, s.lax_r, s.lax_f1) == (1, 1, 1, 1, 1, 1)
    assert (s.added_p, s.added_r, s.dropped_p, s.dropped_r) == (1, 1, 1, 1)


def test_merge_against_one_to_one_plus_deletion():
    gold = L("[0, 1]:[0]\n[2]:[1]\n")
    test = L("[0]:[0]\n[1]:[]\n[2]:[1]\n")
    c = count(test, gold)
    # precision over the 3 test links, the 1-0 included: strict hits [2]:[1]; lax adds [0]:[0]
    # (it shares source 0 and target 0 with the gold [0, 1]:[0]); a one-sided link is never a lax hit
    assert (c.n_test, c.strict_p, c.lax_p) == (3, 1, 2)
    # recall over the 2 gold links (no one-sided link on either side): [2]:[1] strict, [0, 1]:[0] lax
    assert (c.n_gold, c.strict_r, c.lax_r) == (2, 1, 2)
    s = c.scores()
    assert s.strict_p == approx(1 / 3) and s.strict_r == approx(1 / 2)
    assert s.strict_f1 == approx(2 / 5)  # 2 * 1/3 * 1/2 / (1/3 + 1/2)
    assert s.lax_p == approx(2 / 3) and s.lax_r == approx(1.0)
    assert s.lax_f1 == approx(4 / 5)  # 2 * 2/3 * 1 / (2/3 + 1)
    # source 1 predicted dropped, but the gold drops nothing
    assert (c.dropped_tp, c.dropped_pred, c.dropped_gold) == (0, 1, 0)
    assert (s.dropped_p, s.dropped_r) == (0.0, 0.0)


def test_lax_needs_one_gold_link_sharing_both_sides():
    gold = L("[0]:[0]\n[1]:[1]\n")
    test = L("[0]:[1]\n[1]:[0]\n")  # each test link touches two different gold links: no lax hit
    s = score(test, gold)
    assert (s.strict_p, s.lax_p, s.strict_r, s.lax_r) == (0, 0, 0, 0)
    # but a test link overlapping one gold link on both sides is a lax hit
    s = score(L("[0, 1]:[0, 1]\n"), gold)
    assert (s.strict_p, s.lax_p) == (0, 1)
    assert (s.strict_r, s.lax_r) == (0, 1)


def test_multi_sentence_null_links_are_exploded_per_sentence():
    gold = L("[0]:[0]\n[]:[1, 2]\n[1]:[3]\n[2, 3]:[]\n")
    test = L("[0]:[0]\n[]:[1]\n[]:[2]\n[1]:[3]\n[2]:[]\n[3]:[]\n")
    c = count(test, gold)
    assert (c.n_test, c.strict_p, c.lax_p) == (6, 6, 6)
    assert (c.n_gold, c.strict_r) == (2, 2)  # recall ignores one-sided links
    assert (c.added_tp, c.added_pred, c.added_gold) == (2, 2, 2)
    assert (c.dropped_tp, c.dropped_pred, c.dropped_gold) == (2, 2, 2)
    # and the other way round: a test file with a multi-sentence null link is exploded too
    assert count(gold, test) == c


def test_added_sentences_precision_and_recall():
    gold = L("[0]:[0]\n[]:[1, 2]\n[1]:[3]\n")
    test = L("[0]:[0]\n[]:[1]\n[1]:[2, 3]\n")
    c = count(test, gold)
    # test links: [0]:[0] strict, []:[1] strict (gold []:[1, 2] explodes into []:[1] and []:[2]),
    # [1]:[2, 3] lax (shares 1 and 3 with [1]:[3])
    assert (c.n_test, c.strict_p, c.lax_p) == (3, 2, 3)
    assert (c.n_gold, c.strict_r, c.lax_r) == (2, 1, 2)
    s = c.scores()
    assert (s.added_p, s.added_r) == (1.0, 0.5)  # predicted added {1}; gold added {1, 2}
    assert s.added_f1 == approx(2 / 3)
    assert (s.dropped_p, s.dropped_r) == (0.0, 0.0)


def test_dropped_sentences_precision_and_recall():
    gold = L("[0]:[0]\n[1]:[]\n[2]:[]\n[3]:[1]\n")
    test = L("[0]:[0]\n[1]:[]\n[2]:[1]\n[3]:[]\n")
    s = score(test, gold)
    # predicted dropped {1, 3}, gold dropped {1, 2}: one right of two, one found of two
    assert (s.dropped_p, s.dropped_r) == (0.5, 0.5)
    assert s.dropped_f1 == approx(0.5)
    # [2]:[1] shares target 1 with [3]:[1] but source 2 only with the one-sided [2]:[]: not lax
    assert (s.strict_p, s.lax_p) == (0.5, 0.5)
    assert (s.strict_r, s.lax_r) == (0.5, 0.5)


def test_links_are_compared_as_sets_and_empty_links_dropped():
    gold = L("[0]:[0]\n[1]:[1]\n[]:[]\n")
    test = L("[0]:[0]\n[1]:[0]\n[1]:[0]\n[]:[]\n")  # a repeated link counts once; [] : [] never counts
    c = count(test, gold)
    assert (c.n_test, c.strict_p) == (2, 1)
    assert (c.n_gold, c.strict_r) == (2, 1)


def test_nothing_to_score_gives_zero_not_an_error():
    s = Counts().scores()
    assert (s.strict_p, s.strict_r, s.strict_f1, s.lax_f1, s.added_p, s.dropped_r) == (0, 0, 0, 0, 0, 0)
    s = score([], L("[0]:[0]\n"))
    assert (s.strict_p, s.strict_r) == (0.0, 0.0)


def test_counts_are_micro_averaged():
    doc1 = count(L("[0]:[0]\n[1]:[]\n[2]:[1]\n"), L("[0, 1]:[0]\n[2]:[1]\n"))  # strict 1/3 P, 1/2 R
    doc2 = count(L("[0]:[0]\n"), L("[0]:[0]\n"))  # 1/1, 1/1
    total = Counts()
    total += doc1
    total += doc2
    s = total.scores()
    assert s.docs == 2
    assert s.strict_p == approx(2 / 4)  # (1 + 1) / (3 + 1), not the mean of 1/3 and 1
    assert s.strict_r == approx(2 / 3)  # (1 + 1) / (2 + 1)
    assert s.lax_p == approx(3 / 4)
    assert s.lax_r == approx(1.0)


# ---- files and folders --------------------------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_paths_on_files(tmp_path):
    g = write(tmp_path / "g.txt", "[0, 1]:[0]\n[2]:[1]\n")
    t = write(tmp_path / "t.txt", "[0]:[0]\n[1]:[]\n[2]:[1]\n")
    s = evaluate_paths(g, t)
    assert (s.docs, s.strict_f1, s.lax_f1) == (1, approx(0.4), approx(0.8))


def test_evaluate_paths_on_folders_pairs_by_name_and_micro_averages(tmp_path):
    write(tmp_path / "gold/a.txt", "[0, 1]:[0]\n[2]:[1]\n")
    write(tmp_path / "gold/b.txt", "[0]:[0]\n")
    write(tmp_path / "gold/.hidden", "not links")
    write(tmp_path / "test/b.txt", "[0]:[0]\n")
    write(tmp_path / "test/a.txt", "[0]:[0]\n[1]:[]\n[2]:[1]\n")
    write(tmp_path / "test/extra.txt", "[0]:[0]\n")  # no gold partner: not scored
    assert [(g.name, t.name) for g, t in pair_files(tmp_path / "gold", tmp_path / "test")] == [
        ("a.txt", "a.txt"), ("b.txt", "b.txt")]
    s = evaluate_paths(tmp_path / "gold", tmp_path / "test")
    assert s.docs == 2
    assert (s.strict_p, s.strict_r) == (approx(0.5), approx(2 / 3))


def test_missing_partner_in_test_folder(tmp_path):
    write(tmp_path / "gold/a.txt", "[0]:[0]\n")
    write(tmp_path / "gold/b.txt", "[0]:[0]\n")
    write(tmp_path / "test/a.txt", "[0]:[0]\n")
    with pytest.raises(GoldFormatError, match=r"test: no test file for gold file\(s\) b.txt"):
        evaluate_paths(tmp_path / "gold", tmp_path / "test")


def test_empty_gold_folder(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "test").mkdir()
    with pytest.raises(GoldFormatError, match="no gold files"):
        evaluate_paths(tmp_path / "gold", tmp_path / "test")


def test_file_against_folder(tmp_path):
    g = write(tmp_path / "g.txt", "[0]:[0]\n")
    (tmp_path / "d").mkdir()
    with pytest.raises(GoldFormatError, match="both be files or both be folders"):
        evaluate_paths(g, tmp_path / "d")


def test_missing_path_is_named(tmp_path):
    g = write(tmp_path / "g.txt", "[0]:[0]\n")
    with pytest.raises(InputError, match="nothere.txt: no such file"):
        evaluate_paths(g, tmp_path / "nothere.txt")
    with pytest.raises(InputError, match="nogold: no such file"):
        evaluate_paths(tmp_path / "nogold", g)


def test_parse_error_inside_a_folder_names_that_file_and_line(tmp_path):
    write(tmp_path / "gold/a.txt", "[0]:[0]\n")
    write(tmp_path / "test/a.txt", "[0]:[0]\n[1] [1]\n")
    with pytest.raises(GoldFormatError) as exc:
        evaluate_paths(tmp_path / "gold", tmp_path / "test")
    assert str(exc.value).startswith(f"{tmp_path / 'test' / 'a.txt'}, line 2:")


def test_gold_file_with_bom_and_crlf(tmp_path):
    g = tmp_path / "g.txt"
    g.write_bytes(b"\xef\xbb\xbf[0]:[0]\r\n[1]:[1]\r\n")
    s = evaluate_paths(g, g)
    assert s.strict_f1 == 1.0


# ---- the public gold sets (optional) -------------------------------------------------------------------------------

GOLD = Path(__file__).resolve().parents[2] / "shared" / "gold"


@pytest.mark.gold
@pytest.mark.skipif(not (GOLD / "textberg-de-fr").is_dir(), reason="../shared/gold not present")
def test_textberg_gold_parses_with_the_documented_counts():
    from aligner.evaluate import read_links

    links = [lk for i in range(7) for lk in read_links(GOLD / "textberg-de-fr" / f"test{i}.defr")]
    assert len(links) == 916
    assert sum(1 for s, t in links if not s and len(t) == 1) == 47  # 0-1 x47
    assert sum(1 for s, t in links if not t and len(s) == 1) == 11  # 1-0 x11
    total = Counts()
    for i in range(7):
        doc = read_links(GOLD / "textberg-de-fr" / f"test{i}.defr")
        total += count(doc, doc)
    s = total.scores()
    assert (s.docs, s.strict_f1, s.lax_f1, s.added_r, s.dropped_r) == (7, 1.0, 1.0, 1.0, 1.0)
