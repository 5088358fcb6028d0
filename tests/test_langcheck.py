"""The wrong-folder check: no false alarm on the sample corpus, an alarm for a file in the other folder or in a
language of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from aligner.langcheck import likely_language, not_covered

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("e[sn]/*.txt")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_sample_corpus_is_where_it_belongs(path):
    lang = path.parent.name
    text = path.read_text(encoding="utf-8")
    assert likely_language(text, lang) is None
    assert likely_language(text, "en" if lang == "es" else "es") == lang


FINNISH = ("Helsingin satama avattiin vuonna 1901, ja kaupunki juhli avajaisia kolmensadan vieraan kanssa. "
           "Neljänkymmenen vuoden ajan se oli rannikon vilkkain laituri, jonne laivat toivat suolaa, viiniä ja "
           "kahtatoista puulajia. Nykyään tuosta liikenteestä on jäljellä vain vähän. Sataman museossa käy "
           "vuosittain kahdeksantuhatta kävijää, ja sisäänpääsy on sunnuntaisin ilmainen.")


def test_short_texts_are_not_judged_and_any_language_is_named():
    assert likely_language("The cat sat on the mat.", "es") is None  # too few words to tell
    english = (CORPUS / "en").glob("*.txt").__next__().read_text(encoding="utf-8")
    assert likely_language(english, "is") == "en"
    assert likely_language(english, "ES-es") == "en" and likely_language(english, "en_GB") is None
    assert likely_language(FINNISH, "en") == "fi" and likely_language(FINNISH, "fi") is None
    assert likely_language(FINNISH, "zz") is None  # a code the identifier does not know: not judged
    norwegian = ("Regjeringen la fram statsbudsjettet for neste år på tirsdag, og finansministeren sa at "
                 "økonomien går bedre enn ventet. Arbeidsledigheten har falt i hele landet, men prisene på strøm og "
                 "mat er fortsatt høye for mange familier. Opposisjonen mener at budsjettet gir for lite til "
                 "kommunene og til sykehusene i distriktene, og vil kreve endringer i Stortinget.")
    assert likely_language(norwegian, "nb") is None  # read as "no": the same language


def test_the_not_covered_note_speaks_of_the_default_model_only():
    assert not_covered("fi") == not_covered("fi", "use") == \
        "the default model does not cover 'fi' (--model st:<name> picks one that does)"
    assert not_covered("en") == not_covered("en", "use") == ""
    assert not_covered("fi", "st:sentence-transformers/LaBSE") == ""  # its languages are not known here
