"""End to end on the sample corpus with the bundled model: segmentation, embedding, alignment, scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.cli import cli
from aligner.corpus import corpus_pairs
from aligner.evaluate import Counts, count, read_links
from aligner.pipeline import align_documents
from aligner.segment import load_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# Measured 0.994 strict F1 with the defaults on 2026-11-27 (0.939 without the paragraph penalty); the floor
# leaves room for noise-free regressions only.
F1_FLOOR = 0.97


def test_corpus_layout_pairs_every_document():
    pairs, unmatched = corpus_pairs(CORPUS)
    assert len(pairs) >= 3 and not unmatched
    assert all(p.gold is not None for p in pairs)


@pytest.mark.slow
def test_sample_corpus_alignment_beats_floor():
    total = Counts()
    for pair in corpus_pairs(CORPUS)[0]:
        s, t = load_document(pair.src, "es"), load_document(pair.tgt, "en")
        a = align_documents(s, t)
        a.validate()
        total += count(a.links(), read_links(pair.gold))
    scores = total.scores()
    assert scores.strict_f1 >= F1_FLOOR, scores
    assert scores.added_p >= 0.9 and scores.dropped_p >= 0.9, scores


@pytest.mark.slow
def test_align_corpus_command_prints_scores():
    result = CliRunner().invoke(cli, ["align-corpus", str(CORPUS), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "all 4 pairs: strict" in result.output


def test_align_corpus_reports_unmatched_and_missing(tmp_path):
    (tmp_path / "es").mkdir()
    (tmp_path / "en").mkdir()
    result = CliRunner().invoke(cli, ["align-corpus", str(tmp_path)])
    assert result.exit_code == 1 and "no document pairs" in result.output
    result = CliRunner().invoke(cli, ["align-corpus", str(tmp_path / "nope")])
    assert result.exit_code == 2


@pytest.mark.slow
def test_eval_on_the_corpus_gold_folder_ignores_side_files(tmp_path):
    out = tmp_path / "test"
    out.mkdir()
    runner = CliRunner()
    for pair in corpus_pairs(CORPUS)[0]:
        r = runner.invoke(cli, ["align", str(pair.src), str(pair.tgt), "--format", "gold", "-o",
                                str(out / f"{pair.name}.txt")])
        assert r.exit_code == 0, r.output
    result = runner.invoke(cli, ["eval", str(CORPUS / "gold"), str(out)])
    assert result.exit_code == 0, result.output
    assert "documents 4" in result.output


def test_a_sentence_may_end_with_no_but_not_before_a_number():
    from aligner.segment import segment_text

    got = [s.text for s in segment_text("The fans said no. Then they left. It was No. 5 on the list.", "en").sentences]
    assert got == ["The fans said no.", "Then they left.", "It was No. 5 on the list."]
