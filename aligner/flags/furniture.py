"""Web page furniture (share lines, credits, link lead-ins, dates, related-article lists): rules, kept precise.
"""

from __future__ import annotations

import re

import numpy as np

from ..models import Alignment, Document
from .model import Flag, FlagType, Span
from .passages import _broken, _preview, _runs, _sim


def _furniture_candidates(alignment: Alignment, src_doc: Document, tgt_doc: Document, sv, tv, weak: float):
    """Where furniture may be, per side: (candidates, strong lines), bool (n,) arrays.

    Candidates are one-sided sentences and those of beads below `weak` (no translation), plus strong furniture
    lines (share buttons, credits, dates) glued to a bead whose other side has none: such a line never
    translates prose.
    """
    strong_s = np.array([strong_furniture(s.text) for s in src_doc.sentences], bool)
    strong_t = np.array([strong_furniture(s.text) for s in tgt_doc.sentences], bool)
    cand_s = np.zeros(len(src_doc), bool)
    cand_t = np.zeros(len(tgt_doc), bool)
    for b in alignment.beads:
        s, t = list(b.src), list(b.tgt)
        loose = not (s and t) or _sim(sv, tv, s, t) < weak or _broken(s, t, sv, tv, weak)
        if not strong_t[t].any():
            cand_s[s] = loose or strong_s[s]
        if not strong_s[s].any():
            cand_t[t] = loose or strong_t[t]
    return cand_s, cand_t, strong_s, strong_t


def _furniture_flags(doc: Document, mask: np.ndarray, side: str) -> list[Flag]:
    flags = []
    for run in _runs(np.flatnonzero(mask).tolist()):
        span = Span.of(doc, run)
        flags.append(Flag(FlagType.FURNITURE, span if side == "src" else None, span if side == "tgt" else None,
                          0.95, 1.0, _preview(doc, run)))
    return flags


# ---- web furniture: rules, kept precise ------------------------------------------------------------------------
# A line is strong furniture on its own (share buttons, credits, link lead-ins, dates, section labels); weak
# lines (bylines, names, short headings) and captions count only next to strong ones, and a run of items that
# each end in a date is a related-articles list. Patterns cover en, es, fr, de.

_NETWORKS = ("facebook twitter instagram youtube whatsapp telegram linkedin pinterest reddit tiktok flipboard "
             "mastodon bluesky threads messenger")
_SHARE_WORDS = "share compartir comparte compártelo partager partagez teilen tweet tuitear tuit"
_SHARE_VOCAB = set((_NETWORKS + " " + _SHARE_WORDS + " x email e-mail mail correo print imprimir imprimer "
                    "drucken copy copiar copier link enlace lien this article artículo artikel esta este noticia "
                    "on en sur auf via por the story to by with send enviar envoyer google news rss sms "
                    "comments comentarios commentaires kommentare diesen cet la le el der die das").split())
_SHARE_STRONG = set((_NETWORKS + " " + _SHARE_WORDS).split())

_LEADIN = (r"(?:you (?:might|may) (?:also )?(?:be interested in|like|enjoy)|(?:read|see) also|also read|read more"
           r"|related(?: articles?| stories| content| posts?| news| coverage| reading)?|more on this(?: story)?"
           r"|recommended(?: for you)?|further reading|don'?t miss|must read"
           r"|(?:también )?te (?:puede|podría) interesar|(?:lee|lea|leer|ver|vea|mira) también|te recomendamos"
           r"|noticias relacionadas|artículos relacionados|relacionad[oa]s?|más información|sigue leyendo"
           r"|no te pierdas|(?:à|a) lire (?:aussi|également|egalement)|lire aussi|(?:à )?voir aussi"
           r"|sur le même sujet|vous (?:pourriez|pouvez) aussi aimer|articles? (?:similaires|liés)"
           r"|pour aller plus loin|dans la même rubrique|(?:das )?könnte (?:sie|dich) auch interessieren"
           r"|lesen sie auch|mehr zum thema|siehe auch|weitere artikel|ähnliche artikel"
           r"|tags|etiquetas|temas|mots-clés|schlagwörter|topics|themen)")
_LEADIN_RE = re.compile(rf"^{_LEADIN}\s*(?:(?:[:：|»›>\-–—]|\.{{3}})\s*(?P<title>\S.*)?|[.!]?)$", re.I)
_LABEL_RE = re.compile(
    r"^(?:most recent|most read|most popular|latest(?: news| stories)?|trending(?: now)?|top stories"
    r"|lo más (?:leído|visto|reciente)|últimas noticias|más recientes?|más noticias|en portada"
    r"|les plus lus|à la une|(?:les )?dernières? (?:actualités|infos|nouvelles)|meistgelesen|neueste artikel"
    r"|advertisement|publicidad|anuncio|publicité|anzeige|werbung|comments?(?: \(\d+\))?|comentarios"
    r"|commentaires|kommentare|newsletter|back to top|volver arriba|retour en haut|nach oben"
    r"|skip to (?:main )?content"
    r"|ir al contenido|share|compartir|partager|teilen|print|imprimir|imprimer|drucken"
    r"|all rights reserved|todos los derechos reservados|tous droits réservés|alle rechte vorbehalten)[.:!]?$",
    re.I)
_FOLLOW_RE = re.compile(r"^(?:follow us|síguenos|siguenos|suivez[- ]nous|folgen sie uns|subscribe|suscríbete"
                        r"|suscribete|abonnez[- ]vous|inscrivez[- ]vous|sign up|regístrate|abonnieren sie)\b",
                        re.I)
_CREDIT_WORD = (r"(?:photos?|foto(?:s|grafía|grafie)?|photograph|images?|imagen|picture|crédito|credits?"
                r"|crédit(?: photo)?|bild|illustration|ilustración|vídeo|video)")
_CREDIT_RE = re.compile(rf"^\(?{_CREDIT_WORD}(?:\s+{_CREDIT_WORD})?\s*(?::|：|/|by\b|de\b|por\b|par\b|von\b)"
                        r"\s*\S.{0,80}$", re.I)
_AGENCY = (r"(?:EFE|AFP|AP|Reuters|REUTERS|Getty(?: Images)?|Europa Press|Xinhua|ANSA|dpa|DPA|Keystone"
           r"|NurPhoto|Shutterstock|iStock|Cuartoscuro|Bloomberg|Sipa|Anadolu|Télam|SOPA Images|Belga)")
_AGENCY_TAIL = re.compile(rf"(?:^|[\s(|.])\(?{_AGENCY}(?: Photo| Images)?\s*/\s*[\w .'’\-]{{0,40}}\)?\.?$")
_AGENCY_ONLY = re.compile(rf"^\(?{_AGENCY}\)?\.?$")
_CAPTION_TAIL = re.compile(rf"[(\[|]\s*{_CREDIT_WORD}\s*[:/]\s*[^)\]]{{1,60}}[)\]]?\s*$", re.I)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright\b).{0,80}$", re.I)
_READING_RE = re.compile(r"^(?:\d+\s*(?:min|mins|minutes?|minutos?)\.?\s*(?:read|de lectura|lectura|de lecture"
                         r"|lesezeit)|(?:reading time|tiempo de lectura|lectura|temps de lecture|lesezeit)"
                         r"\s*:?\s*\d+\s*(?:min|minutes?|minutos?)\.?)$", re.I)

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec enero febrero marzo abril mayo junio julio agosto "
           "septiembre setiembre octubre noviembre diciembre ene abr ago dic janvier février fevrier mars avril "
           "mai juin juillet août aout septembre octobre novembre décembre decembre janv févr avr juil déc "
           "januar jänner februar märz juni juli oktober dezember")
_MONTH = "(?:" + "|".join(sorted(set(_MONTHS.split()), key=len, reverse=True)) + r")\.?"
_DAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|lunes|martes|miércoles|jueves|viernes|sábado|domingo|lundi|mardi" \
       r"|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"
_DATE = (rf"(?:\d{{1,2}}(?:\.|er|º)?\s*(?:de\s+)?{_MONTH}\s*,?\s*(?:de\s+|del\s+)?\d{{4}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}"
         r"|\d{4}-\d{2}-\d{2})")
_TIME = r"(?:(?:at|a las|à|um|-|,)?\s*\d{1,2}[:h.]\d{2}\s*(?:h|hrs|am|pm|a\.m\.|p\.m\.|uhr)?\s*(?:[A-Z]{2,4})?)"
_DATE_RE = re.compile(rf"^(?:published|updated|posted|publicado|actualizado|publié|mis à jour|veröffentlicht"
                      rf"|aktualisiert)?\s*(?:on|el|le|am|the)?\s*:?\s*(?:{_DAY},?\s*)?{_DATE}\s*{_TIME}?\.?$", re.I)
_NAME = r"[A-ZÁÉÍÓÚÑÇÀÈÌÒÙÄÖÜ][\w'’.\-]+"
_BYLINE_RE = re.compile(rf"^(?:by|por|par|von|de)\s+{_NAME}(?:\s+(?:{_NAME}|de|del|la|van|von|y|and|et|und)){{0,5}}"
                        r"\.?$")
_NAME_RE = re.compile(rf"^{_NAME}(?:\s+(?:{_NAME}|de|del|la|van|von|y|and|et|und)){{1,3}}$")


def strong_furniture(text: str) -> bool:
    """Whether one sentence is web furniture on its own: share line, credit, link lead-in, date, label."""
    t = " ".join(text.split())
    if not t or len(t) > 300:
        return False
    parts = [p.strip() for p in re.split(r"\s+[|·•]\s+", t) if p.strip()]
    if len(parts) > 1 and all(strong_furniture(p) or _weak_line(p) for p in parts):
        return any(strong_furniture(p) for p in parts)
    words = re.findall(r"[\w'’\-]+", t.lower())
    if words and len(words) <= 12 and all(w in _SHARE_VOCAB for w in words) and _SHARE_STRONG & set(words):
        return True
    short = len(words) <= 16
    return bool(_LEADIN_RE.match(t) or _LABEL_RE.match(t) or _DATE_RE.match(t) or _READING_RE.match(t)
                or (short and (_FOLLOW_RE.match(t) or _CREDIT_RE.match(t) or _COPYRIGHT_RE.match(t)))
                or _is_credit(t) or _CAPTION_TAIL.search(t))


def _is_credit(t: str) -> bool:
    """A photo credit line, or a caption that ends with an agency credit (`... REUTERS/Stringer`)."""
    return bool(_AGENCY_TAIL.search(t) or _AGENCY_ONLY.match(t))


def _credit_line(t: str) -> bool:
    """A short line that only credits a photo: the caption sits just before it."""
    return len(t.split()) <= 10 and bool(_is_credit(t) or _CREDIT_RE.match(t) or _COPYRIGHT_RE.match(t))


def _weak_line(t: str) -> bool:
    """A byline, a bare name or a short label: furniture only next to other furniture."""
    t = t.strip()
    return bool(_BYLINE_RE.match(t) or _NAME_RE.match(t) or (len(t.split()) <= 3 and t[-1:] not in ".!?:;,"))


def furniture_mask(doc: Document, candidates: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Furniture among the candidate sentences of `doc`: bool (n,).

    candidates, strong: bool (n,). Strong lines count alone; captions before a credit, the title after a bare
    lead-in, related-article lists (items ending in a date) and weak lines next to furniture count in context.
    """
    n = len(doc)
    mask = strong & candidates
    sents = doc.sentences
    for i in np.flatnonzero(mask):
        t = sents[i].text
        if _LEADIN_RE.match(t) and not (_LEADIN_RE.match(t).group("title")) and i + 1 < n and candidates[i + 1]:
            mask[i + 1] |= len(sents[i + 1].text.split()) <= 30
        if _credit_line(t):
            for k in (i - 1, i - 2):
                if k >= 0 and candidates[k] and sents[k].paragraph == sents[i].paragraph \
                        and len(sents[k].text.split()) <= 60:
                    mask[k] = True
                else:
                    break
    _related_lists(doc, candidates, mask)
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if candidates[i] and not mask[i] and _weak_line(sents[i].text) and (
                    (i > 0 and mask[i - 1]) or (i + 1 < n and mask[i + 1])):
                mask[i] = changed = True
    return mask


def _related_lists(doc: Document, candidates: np.ndarray, mask: np.ndarray, max_item: int = 8) -> None:
    """Mark related-article lists: runs of candidates with two or more date lines at most `max_item` apart.

    A byline or bare name counts in a run even when the aligner glued it to a bead (a name next to an
    unrelated sentence still reads above the unrelated level); the first item reaches back as far as the
    list's heading (a label such as "Most read") when there is one, else as far as the longest later item.
    """
    sents = doc.sentences
    names = np.array([_person(s.text.strip()) or _dated_byline(s.text) for s in sents], bool)
    for run in _runs(np.flatnonzero(candidates | names)):
        dates = [i for i in run if _DATE_RE.match(sents[i].text) or _dated_byline(sents[i].text)]
        if len(dates) < 2:
            continue
        gaps = [b - a for a, b in zip(dates, dates[1:]) if b - a <= max_item]
        if not gaps:
            continue
        for a, b in zip(dates, dates[1:]):
            if b - a <= max_item and _list_item(doc, a + 1, b):
                mask[a + 1:b + 1] = True
        first = dates[0]
        heads = [i for i in run if i < first and first - i <= max_item + 1 and strong_furniture(sents[i].text)
                 and not _DATE_RE.match(sents[i].text)]
        lowest = max(run[0], heads[-1] + 1 if heads else first - max(gaps))
        start = first
        while start - 1 >= lowest and _list_item(doc, start - 1, first):
            start -= 1
        mask[start:first + 1] = True


def _dated_byline(text: str) -> bool:
    """`By Jane Doe, 3 October 2024`, `Jane Doe | Oct 3, 2024`: a byline and a date in one line."""
    for m in re.finditer(r"\s*(?:[|·•–—,]|\s-)\s*", text):
        a, b = text[:m.start()].strip(), text[m.end():].strip()
        if (_DATE_RE.match(a) and _person(b)) or (_person(a) and _DATE_RE.match(b)):
            return True
    return False


def _person(t: str) -> bool:
    return bool(_BYLINE_RE.match(t) or _NAME_RE.match(t))


def _list_item(doc: Document, a: int, b: int) -> bool:
    """Sentences a..b-1 look like a list entry: at most two prose sentences a paragraph, none over 250 words.

    The frame (headline, byline, date) decides; a teaser can be one long sentence of the linked article."""
    sents = doc.sentences
    for s in sents[a:b]:
        size = sum(1 for k in range(max(0, s.id - 2), min(len(sents), s.id + 3))
                   if sents[k].paragraph == s.paragraph and not strong_furniture(sents[k].text))
        if size > 2 or len(s.text.split()) > 250:
            return False
    return True
