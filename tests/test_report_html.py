"""The HTML report: self-contained and escaped, and, opened in headless Chromium, showing every flag highlighted
with its legend and summary. The Chromium tests save a screenshot into the test's tmp dir and print its path.

Chromium: Debian packages `chromium` (and `chromium-driver` plus `pip install selenium` for the computed-style
test); the tests skip, saying why, where they are missing.
"""

from __future__ import annotations

from dataclasses import replace

import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import helpers
import pytest

from aligner.flags import Flag, FlagStatus, FlagType, Span, summarize
from aligner.models import Alignment, Bead, BeadStatus, Document
from aligner.report_html import render_html, write_html

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars"]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")


def make_doc(paragraphs: list[list[str]], lang: str) -> Document:
    return helpers.make_doc(paragraphs, lang, f"{lang}/sample.txt")


def span(doc: Document, ids) -> Span:
    return Span.of(doc, ids)


@pytest.fixture
def case():
    """A small page with one flag of each type (one of them dismissed) and text that needs escaping."""
    src = make_doc([["La riada obliga a evacuar a 2.000 vecinos."],
                    ["Las lluvias desbordaron el río.", "El alcalde pidió calma."],
                    ["El ayuntamiento abrió el polideportivo.", "La Cruz Roja repartió mantas."],
                    ["Los colegios cerrarán hasta el jueves."],
                    ["La línea de tren <C-2> sigue cortada & sin fecha."]], "es")
    tgt = make_doc([["Flash floods force 2,000 from their homes."], ["Share on Facebook Twitter WhatsApp"],
                    ["The rain burst the river's banks.", "The mayor asked for calm."],
                    ["The Ribera Alta is a farming district.", "Autumn storms are a familiar threat."],
                    ["Rail line <C-2> remains closed & \"no date\" <script>alert(1)</script>."],
                    ["Schools will stay closed until Thursday."]], "en")
    al = Alignment((Bead((0,), (0,)), Bead((), (1,)), Bead((1,), (2,)), Bead((2,), (3,)), Bead((), (4,)),
                    Bead((), (5,)), Bead((3,), ()), Bead((4,), ()), Bead((5,), (6,)), Bead((6,), ()),
                    Bead((), (7,))), 7, 8)
    al.validate()
    flags = [
        Flag(FlagType.DIVERGENT, span(src, [0]), span(tgt, [0]), 0.6, 4.2, "1-1 bead, similarity 0.41"),
        Flag(FlagType.FURNITURE, None, span(tgt, [1]), 0.95, 1.0, "Share on Facebook Twitter WhatsApp"),
        Flag(FlagType.ADDED, None, span(tgt, [4, 5]), 0.9, 0.2, "The Ribera Alta is a farming district."),
        Flag(FlagType.DROPPED, span(src, [3, 4]), None, 0.8, 0.3, "El ayuntamiento abrió...",
             status=FlagStatus.DISMISSED),
        Flag(FlagType.MOVED, span(src, [6]), span(tgt, [7]), 0.85, 0.7, "source 6 moved to target 7"),
    ]
    return al, src, tgt, flags


class _Collector(HTMLParser):
    """Elements by class and id, and the text of each element with an id."""

    def __init__(self):
        super().__init__()
        self.classes: dict[str, int] = {}
        self.ids: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for c in (a.get("class") or "").split():
            self.classes[c] = self.classes.get(c, 0) + 1
        if "id" in a:
            self.ids[a["id"]] = ""
        self._open.append(a.get("id"))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for i in self._open:
            if i is not None:
                self.ids[i] += data


def parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


# ---- without a browser ------------------------------------------------------------------------------------------

def test_page_is_self_contained_and_escaped(case):
    html = render_html(*case, title="riada <test>")
    assert html.startswith("<!DOCTYPE html>")
    for needle in ("http://", "https://", "<link", "<script", "src=", "@import"):
        assert needle not in html.replace("&lt;script&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;C-2&gt;" in html and "riada &lt;test&gt;" in html


def test_each_kind_of_flag_has_the_review_apps_colour(case):
    """An editor who reads the page and the app sees the same hue for the same kind (the page had green for added
    where the app has amber, and amber for divergent)."""
    tcss = (Path(__file__).resolve().parents[1] / "tui" / "app.tcss").read_text(encoding="utf-8")
    html = render_html(*case, title="t")
    for kind in ("added", "dropped", "divergent", "moved"):
        app = re.search(rf"\.bead-grid--{kind} {{ background: (#[0-9a-f]{{6}})", tcss).group(1)
        assert f"--{kind}-b:{app};" in html, kind


def test_every_flag_is_listed_and_highlighted(case):
    al, src, tgt, flags = case
    c = parse(render_html(al, src, tgt, flags))
    for t in FlagType:
        assert c.classes.get(f"f-{t.value}", 0) >= 1
        assert c.classes[f"flag-{t.value}"] == 1
    assert c.classes["f-added"] == 1 + 2  # legend swatch + two sentences
    assert c.classes["dismissed"] >= 2  # the legend entry and the dropped sentences
    for k in range(len(flags)):
        assert f"flag-{k}" in c.ids and f"list-{k}" in c.ids
    assert "moved to target 7" in c.ids["s-6"] and "moved from source 6" in c.ids["t-7"]
    assert c.ids["count-added"].strip().startswith("1")


def test_a_link_the_aligner_was_unsure_of_is_marked_unless_an_editor_confirmed_it(case):
    al, src, tgt, flags = case
    beads = [replace(b, score=0.9) for b in al.beads]
    beads[2] = replace(beads[2], confidence=0.55)  # bead 3: an automatic pair, 55% sure
    beads[3] = replace(beads[3], confidence=0.55, status=BeadStatus.CONFIRMED)  # bead 4: confirmed since
    beads[8] = replace(beads[8], confidence=0.93)  # bead 9: sure
    html = render_html(al.with_beads(beads), src, tgt, flags)
    marked = re.findall(r'<td class="n doubtful" title="([^"]*)">(\d+)</td>', html)
    assert marked == [("the aligner was 55% sure of this link", "3")]
    assert "less than 70% sure of" in parse(html).ids["legend"]
    # a run made before confidences were kept: the rule of those runs (a similarity under 0.5), as in the app
    older = [replace(b, score=0.9) for b in al.beads]
    older[2] = replace(older[2], score=0.3)
    html = render_html(al.with_beads(older), src, tgt, flags)
    assert re.findall(r'<td class="n doubtful" title="([^"]*)">(\d+)</td>', html) == [("similarity 0.30, under 0.5",
                                                                                       "3")]


def test_ids_are_unique_flags_numbered_in_reading_order_the_editors_marked(case):
    import re
    from collections import Counter

    al, src, tgt, flags = case
    html = render_html(al, src, tgt, list(reversed(flags)), editor={0}, note="The files changed & more.")
    ids = Counter(re.findall(r' id="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []  # a moved or divergent flag marks both of its sides
    c = parse(html)
    listed = [c.ids[f"list-{k}"] for k in range(len(flags))]
    assert "divergent" in listed[0] and "moved" in listed[-1]  # the first and the last in the text
    assert "editor" in listed[-1] and "0.85" not in listed[-1]  # given as the editor's: no confidence
    assert "The files changed & more." in c.ids["note"]


def test_summary_words(case):
    al, src, tgt, flags = case
    s = summarize(flags, src, tgt)
    html = render_html(al, src, tgt, flags)
    assert (s.words_added, s.words_dropped, s.words_moved, s.words_furniture) == (13, 0, 6, 5)  # dismissed: none
    assert f"<b>{s.words_added}</b>words added" in html and f"<b>{s.words_dropped}</b>words dropped" in html
    s = summarize([replace(f, status=FlagStatus.OPEN) for f in flags], src, tgt)
    assert (s.words_dropped, s.counts["dropped"]) == (10, 1)


# ---- in headless Chromium ---------------------------------------------------------------------------------------

def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@needs_chromium
def test_chromium_renders_the_report_with_flags_legend_and_summary(case, tmp_path):
    page = write_html(tmp_path / "report.html", *case, title="riada-ribera")
    dom = _chromium(["--virtual-time-budget=2000", "--dump-dom", page.as_uri()], tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    c = parse(dom.stdout)
    assert "legend" in c.ids and c.classes["swatch"] == len(FlagType)
    for t in FlagType:
        assert c.classes.get(f"f-{t.value}", 0) >= 2, t  # swatch + highlighted sentence(s)
        # the summary counts the flags not dismissed: the dropped one was
        assert c.ids[f"count-{t.value}"].strip().startswith("0" if t is FlagType.DROPPED else "1")
    assert "words added" in c.ids["words"] and "words dropped" in c.ids["words"]
    assert sum(1 for tag, a in c.tags if tag == "tr" and "bead" in (a.get("class") or "")) == len(case[0])
    assert "<script>" not in dom.stdout  # the escaped text stayed text
    shot = tmp_path / "report.png"
    r = _chromium(["--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()], tmp_path / "profile2")
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    width, height = _png_size(shot)
    assert (width, height) == (1280, 1600)
    print(f"\nreport screenshot: {shot}")


needs_chromedriver = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Chromium and chromedriver not installed (apt-get install chromium chromium-driver)")


def _driver(tmp_path: Path, size: str):
    """A headless Chromium driven by selenium, its profile in tmp_path; the caller quits it."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={size}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@needs_chromedriver
def test_chromium_shows_the_highlights_and_follows_the_links(case, tmp_path):
    from selenium.webdriver.common.by import By

    page = write_html(tmp_path / "report.html", *case)
    driver = _driver(tmp_path, "1280,1200")
    try:
        driver.get(page.as_uri())
        colours = {}
        for t in FlagType:
            el = driver.find_element(By.CSS_SELECTOR, f"td .s.f-{t.value}")
            assert el.is_displayed()
            colours[t] = el.value_of_css_property("background-color")
        assert len(set(colours.values())) == len(FlagType)  # one colour per type
        plain = driver.find_element(By.ID, "s-1").value_of_css_property("background-color")
        assert plain in ("rgba(0, 0, 0, 0)", "transparent")
        dismissed = driver.find_element(By.ID, "s-3")
        assert float(dismissed.value_of_css_property("opacity")) < 1
        driver.find_element(By.CSS_SELECTOR, "#list-4 a.marker").click()
        assert driver.current_url.endswith("#flag-4")
        driver.find_element(By.CSS_SELECTOR, "#s-6 a.goto").click()
        assert driver.current_url.endswith("#t-7")
        shot = tmp_path / "report-selenium.png"
        driver.save_screenshot(str(shot))
        print(f"\nreport screenshot (selenium): {shot}")
    finally:
        driver.quit()


@needs_chromedriver
def test_chromium_wraps_a_long_unbroken_text_and_shows_link_targets_below_the_header(tmp_path):
    """A 600-character URL made the page 6,400 px wide; a followed link put its sentence under the sticky column
    header."""
    url = "https://example.org/" + "a" * 600
    src = make_doc([[f"Frase {k} del artículo original." for k in range(60)] + [f"Enlace {url}"]], "es")
    tgt = make_doc([[f"Sentence {k} of the article." for k in range(60)] + [f"Link {url}"]], "en")
    al = Alignment(tuple(Bead((k,), (k,)) for k in range(61)), 61, 61)
    page = write_html(tmp_path / "long.html", al, src, tgt, [])
    driver = _driver(tmp_path, "1280,800")
    try:
        driver.get(page.as_uri())
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 1280
        driver.get(page.as_uri() + "#s-40")
        top = driver.execute_script("return document.getElementById('s-40').getBoundingClientRect().top")
        header = driver.execute_script("return document.querySelector('.aligned th').getBoundingClientRect().bottom")
        assert top >= header - 1, (top, header)
    finally:
        driver.quit()


def test_the_summary_counts_the_reviewed_flags_it_leaves_out(case):
    """With flags dismissed the summary read "0 dropped" and said nothing of them (`aligner flags` does)."""
    al, src, tgt, flags = case
    flags = flags[:2] + [replace(flags[2], status=FlagStatus.CONFIRMED)] + flags[3:]
    got = parse(render_html(al, src, tgt, flags))
    assert got.ids["count-dropped"] == "0dropped"
    assert got.ids["count-reviewed"] == "reviewed: 1 accepted · 1 dismissed (dismissed ones not counted)"
    assert "count-reviewed" not in parse(render_html(al, src, tgt, [replace(f, status=FlagStatus.OPEN)
                                                                   for f in flags])).ids


def test_direction_controls_in_a_text_are_shown_not_applied(case):
    """A right-to-left override (U+202E) in a sentence reversed the rest of it on the page ('tcirtsid'): the
    editor read other words than the file holds."""
    al, src, tgt, flags = case
    text = "San José is a \u202edistrict\u202c of the city."
    tgt = make_doc([[s.text for s in tgt.sentences[:3]], [text], [s.text for s in tgt.sentences[4:]]], "en")
    html = render_html(al, src, tgt, flags)
    assert "\u202e" not in html and "\u202c" not in html
    assert ('<span class="ctl" title="U+202E">RLO</span>district<span class="ctl" title="U+202C">PDF</span>'
            in html)


def test_printing_keeps_the_highlights_and_repeats_the_column_header(case):
    """Printed with the browser's defaults the tints vanished (backgrounds are left out), and later pages had
    no column header."""
    html = render_html(*case)
    assert "@media print" in html and "print-color-adjust: exact" in html
    got = parse(html)
    heads = [t for t, _ in got.tags if t == "thead"]
    assert len(heads) == 2  # the flag list and the aligned text


@needs_chromedriver
def test_chromium_narrow_window_and_long_documents_keep_the_numbers_and_the_flag_table_in_view(tmp_path):
    """At 360 px the flag table made the page wider than the screen; bead numbers of three digits and more
    wrapped ("35" over "7")."""
    src = make_doc([[f"Frase número {k} del artículo original, con algo de texto." for k in range(1200)]], "es")
    tgt = make_doc([[f"Sentence number {k} of the article, with some text." for k in range(1200)]], "en")
    al = Alignment(tuple(Bead((k,), (k,), 0.2 if k == 1150 else 0.9) for k in range(1200)), 1200, 1200)
    flags = [Flag(FlagType.DIVERGENT, span(src, [1150]), span(tgt, [1150]), 0.6, 4.2,
                  "1-1 bead, similarity 0.20 (usual here 0.90); " + "a long note " * 20)]
    page = write_html(tmp_path / "long.html", al, src, tgt, flags)
    for size in ("360,800", "1280,800"):
        driver = _driver(tmp_path, size)
        try:
            driver.get(page.as_uri())
            width = driver.execute_script("return window.innerWidth")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
            lines = driver.execute_script(  # the line boxes of the number's text
                "const c = document.querySelectorAll('.aligned td.n')[1150];"
                "const r = document.createRange(); r.selectNodeContents(c); return r.getClientRects().length")
            assert lines == 1 and driver.execute_script(
                "return document.querySelectorAll('.aligned td.n')[1150].textContent") == "1151"
        finally:
            driver.quit()


@pytest.mark.parametrize(("model", "said"), [
    ("st:/models/<labse>", "aligned with st:/models/&lt;labse&gt;"),
    ("tmx-import", "imported from a TMX file"),
    (None, None),
])
def test_the_page_names_the_model_whose_scores_it_shows(case, model, said):
    """The page's doubts and scores are a model's; it did not say which (a pair may keep a model of its own)."""
    al, *rest = case
    al = replace(al, meta={**al.meta, "model": model} if model else {})
    meta = re.search(r'<div class="meta">(.*?)</div>', render_html(al, *rest)).group(1)
    if said:
        assert meta.endswith(f" · {said}")
    else:
        assert "aligned with" not in meta and "imported" not in meta
