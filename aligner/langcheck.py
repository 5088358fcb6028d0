"""Is a document in the language it is filed under? An English article dropped into the Spanish folder, or a Finnish
one that the encoder does not cover, aligns without complaint (the multilingual encoder finds something like it on
the other side) and its flags mean nothing, so `aligner add` and `aligner align` warn instead. The language is
identified by py3langid (langid.py's model, 97 languages, bundled with the package)."""

from __future__ import annotations

import re

import numpy as np

MIN_LETTERS = 200  # a text with fewer letters is not judged (about 40 words of a European language)
SURE = 0.99  # the identifier's probability for the other language, at least
DOUBT = 0.01  # and for the declared one, at most
_WORD = re.compile(r"[^\W\d_]+")


ISO_639_1 = frozenset("""
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el
    en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu
    ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na
    nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so
    sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())
_LANG_TAG = re.compile(r"([a-z]{2})(-[a-z0-9]{2,8})?")


def lang_code(value: str) -> str:
    """An ISO 639-1 code in lower case, with its region subtag if any (ES -> es, zh_TW -> zh-tw, as the encoders
    and the store name them); ValueError for anything else."""
    code = value.strip().lower().replace("_", "-")
    match = _LANG_TAG.fullmatch(code)
    if not match or match[1] not in ISO_639_1:
        raise ValueError(f"{value!r} is not an ISO 639-1 code (e.g. es, en, de)")
    return code


def language_probabilities(text: str) -> dict[str, float]:
    """Each language's probability for `text` (py3langid's scores normalised, as its norm_probs option does)."""
    import py3langid

    ranked = py3langid.rank(text)
    logs = np.array([score for _, score in ranked], np.float64)
    probs = np.exp(logs - logs.max())
    probs /= probs.sum()
    return {lang: float(p) for (lang, _), p in zip(ranked, probs)}


def likely_language(text: str, declared: str) -> str | None:
    """Another language the text is clearly written in (an ISO 639-1 code), or None: when it looks like
    `declared`, or when it is too short to tell (fewer than MIN_LETTERS letters). Clearly: the identifier gives
    that language a probability of SURE or more and the declared one DOUBT or less (no false alarm on the 66
    documents of ../shared/gold nor on the sample corpus). A declared language the identifier does not know is not
    judged, nor one read as a close relative (Bokmål as Norwegian, Bosnian as Croatian: _GROUPS)."""
    base = declared.lower().replace("_", "-").split("-")[0]
    sample = text[:20_000]
    if sum(map(len, _WORD.findall(sample))) < MIN_LETTERS:
        return None
    probs = language_probabilities(sample)
    if base not in probs:  # a language the identifier does not know: not judged
        return None
    best = max(probs, key=probs.get)
    if best != base and _group(best) != _group(base) and probs[best] >= SURE and probs[base] <= DOUBT:
        return best
    return None


# languages the identifier tells apart by little more than spelling: one of a group read as another is no alarm
_GROUPS = [{"no", "nb", "nn", "da"}, {"sr", "hr", "bs"}, {"ms", "id"}, {"fy", "nl"}, {"gd", "ga"}, {"gl", "pt"}]


def _group(lang: str) -> int | str:
    return next((k for k, g in enumerate(_GROUPS) if lang in g), lang)


def not_covered(lang: str, model: str | None = None) -> str:
    """What to add to a wrong-language warning when the default encoder does not cover `lang` ('' when it does,
    and when the text is aligned with another `model`, whose languages are not known)."""
    from .embed import is_default
    from .embed.use import LANGUAGES

    if lang in LANGUAGES or (model is not None and not is_default(model)):
        return ""
    return f"the default model does not cover {lang!r} (--model st:<name> picks one that does)"
