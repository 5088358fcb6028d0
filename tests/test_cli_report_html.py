"""`aligner report NAME --html FILE` on a real project database (the sample corpus, the bundled model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.cli import cli

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.mark.slow
def test_report_html_for_one_pair(tmp_path):
    corpus = tmp_path / "corpus"
    for lang in ("es", "en"):
        (corpus / lang).mkdir(parents=True)
        shutil.copy(CORPUS / lang / "vivienda-zaragoza.txt", corpus / lang)
    db = str(tmp_path / "p.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["add", str(corpus), "--db", db]).exit_code == 0
    r = runner.invoke(cli, ["align-all", "--db", db])
    assert r.exit_code == 0, r.output
    out = tmp_path / "page.html"
    r = runner.invoke(cli, ["report", "vivienda-zaragoza", "--db", db, "--html", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "vivienda-zaragoza" in page
    r = runner.invoke(cli, ["report", "vivienda-zaragoza", "--db", db])
    assert r.exit_code == 2 and "--html" in r.output
    r = runner.invoke(cli, ["report", "no-such-pair", "--db", db, "--html", str(out)])
    assert r.exit_code == 1 and "no-such-pair" in r.output
