"""Is a document in the language it is filed under? A check by the commonest function words of a few languages:
an English article dropped into the Spanish folder aligns without complaint (the multilingual encoder finds the
English side very like it) and its flags come out empty, so `aligner add` warns instead."""

from __future__ import annotations

import re

# The commonest words of each language, short and unambiguous enough to tell these languages apart in a few
# hundred words; words shared by several lists (de, a, que, en ...) count for each.
FUNCTION_WORDS = {
    "es": set("de la que el en y a los se del las un por con no una su para es al lo como más pero sus le ya o "
              "este porque esta entre cuando muy sin sobre también me hasta hay donde desde todo nos durante "
              "todos les ni contra otros ese eso ante ellos esto antes algunos qué unos yo otro otras otra él "
              "tanto esa estos mucho quienes nada muchos cual poco ella estas algunas algo han fue según".split()),
    "en": set("the of and to a in is that for it as was with be by on not he this are or his from at which but "
              "have an they you were her she there been has their one all would will we if more when who so "
              "what can its no said out up about into than them only other new some could these two may then "
              "do first any my now such like our over also did many before must through after".split()),
    "fr": set("de la le et les des en un du une que est pour qui dans par plus pas au sur ne se ce il sont avec "
              "son aux ont été sa mais ou elle cette comme nous leur tout vous ses deux même fait était ils lui "
              "aussi bien entre sans très".split()),
    "de": set("der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden "
              "aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur "
              "oder aber vor zur bis mehr durch man".split()),
    "it": set("di e il la che in a per un è del non le si da una sono con i dei alla al più lo gli della nel ma "
              "come anche se questo ha delle su ci o dalla degli essere".split()),
    "pt": set("de a o que e do da em um para é com não uma os no se na por mais as dos como mas foi ao ele das "
              "tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até isso ela entre era "
              "depois sem mesmo aos".split()),
}
MIN_WORDS = 40
_WORD = re.compile(r"[^\W\d_]+")


def likely_language(text: str, declared: str) -> str | None:
    """Another language the text is clearly written in, or None: when it looks like `declared`, when the text
    is too short to tell (fewer than MIN_WORDS words), or when `declared` is not one of the languages known
    here. Clearly: a quarter of its words are that language's function words, and fewer than half as many
    are the declared language's."""
    base = declared.lower().split("-")[0]
    if base not in FUNCTION_WORDS:
        return None
    words = [w.lower() for w in _WORD.findall(text[:20_000])]
    if len(words) < MIN_WORDS:
        return None
    share = {lang: sum(w in vocab for w in words) / len(words) for lang, vocab in FUNCTION_WORDS.items()}
    best = max(share, key=share.get)
    if best != base and share[best] >= 0.25 and share[base] < 0.5 * share[best]:
        return best
    return None
