"""What the review screen shows and where its navigation keys go: pure functions on an alignment, no Textual."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from rich.markup import escape

from aligner.align import posterior
from aligner.flags import FlagStatus
from aligner.models import Alignment, Bead, BeadStatus, Document, common_ends
from aligner.store import is_editor
from aligner.textio import join_sentences

FLAG_KINDS = ("added", "dropped", "divergent", "furniture")  # what an editor flags
SHOWN_KINDS = (*FLAG_KINDS, "moved")  # ... and what the flagger finds besides
STATES = ("confirmed", "added", "dropped", "divergent", "furniture", "moved", "flagged", "edited", "doubtful")


def bead_state(b: Bead, flag: str | None = None) -> str:
    """The one state a bead is coloured by, most important first; '' for an ordinary automatic bead. A flag
    shows through a confirmation: confirming a bead (or all beads above with `c`) settles its alignment, not the
    flags on it, which stay to be accepted or dismissed."""
    if flag in SHOWN_KINDS:
        return flag
    if b.status is BeadStatus.CONFIRMED:
        return "confirmed"
    if b.status is BeadStatus.FLAGGED:
        return "flagged"
    if not b.src:
        return "added"
    if not b.tgt:
        return "dropped"
    if b.status is BeadStatus.EDITED:
        return "edited"
    if is_doubtful(b):
        return "doubtful"
    return ""


def flag_line(f: Mapping) -> str:
    """One flag record (aligner.flags.Flag.to_dict(), with its review status) as a line of the detail pane:
    the editor's flag with its note; the flagger's with its review status, confidence and, for the kinds whose
    note says more than the text shown below it (divergent, moved), that note."""
    kind, note = f.get("type", "?"), f.get("note", "")
    if is_editor(f):
        return f"[b]your flag: {kind}[/b]" + (f"  {escape(note)}" if note else "")
    status = f.get("status", "open")
    line = f"{kind} ({FlagStatus(status).word}, confidence {f.get('confidence', 0):.2f})"
    if note and kind in ("divergent", "moved"):
        line += f"  {escape(note)}"
    if status == "dismissed":
        return f"[dim strike]flagger: {line}[/]  [dim](delete opens it again)[/]"
    return f"[b]flagger: {line}[/b]  " + ("[dim](y: accept, delete: dismiss)[/]" if status == "open" else
                                          "[dim](y opens it again)[/]")


FLAG_ROW = 88  # characters of a row of the flag list at most (its dialog cuts a row to one line of its width)
FLAG_HEADER = f"{'conf':<4}  {'kind':<9} {'bead':>5}  {'sentences':<17} {'status':<9}  what it says"


def flag_row(k: int, f: Mapping) -> str:
    """One flag record as a row of the flag list: confidence, kind, bead, review status and what it says."""
    def ids(side: str) -> str:
        got = (f.get(side) or {}).get("sentences") or []
        return "" if not got else f"{side} {got[0]}" + (f"-{got[-1]}" if got[-1] != got[0] else "")

    where = " ".join(x for x in (ids("src"), ids("tgt")) if x)
    where = where if len(where) <= 17 else where[:16] + "…"
    who = "yours" if is_editor(f) else FlagStatus(f.get("status", "open")).word
    conf = "-" if who == "yours" else f"{f.get('confidence', 0):.2f}"
    note = " ".join(str(f.get("note", "")).split())
    line = f"{conf:<4}  {f.get('type', '?'):<9} {k + 1:>5}  {where:<17} {who:<9}  {note}"
    return line if len(line) <= FLAG_ROW else line[:FLAG_ROW - 1] + "…"


def is_unconfirmed(b: Bead) -> bool:
    return b.status in (BeadStatus.AUTO, BeadStatus.EDITED)


def is_doubtful(b: Bead) -> bool:
    """An automatic pair bead the aligner was unsure of (aligner.align.posterior.is_doubtful; for a run made before
    confidences were kept, one whose similarity is under LOW_SCORE)."""
    return posterior.is_doubtful(b.confidence, b.status, bool(b.src) and bool(b.tgt), b.score)


def is_odd(b: Bead) -> bool:
    """Not a plain 1-1 bead."""
    return len(b.src) != 1 or len(b.tgt) != 1


PREDICATES: dict[str, Callable[[Bead], bool]] = {
    "unconfirmed": is_unconfirmed,
    "doubtful": is_doubtful,
    "non-1-1": is_odd,
}


def find(a: Alignment, start: int, step: int, pred: Callable[[int], bool]) -> int | None:
    """The first bead index after `start` in direction `step` (+1 or -1) where pred(index) holds."""
    k = start + step
    while 0 <= k < len(a.beads):
        if pred(k):
            return k
        k += step
    return None


def bead_of_sentence(a: Alignment, side: str, sid: int) -> int | None:
    """Index of the bead holding sentence `sid` of side 'src' or 'tgt'."""
    for k, b in enumerate(a.beads):
        ids = b.src if side == "src" else b.tgt
        if ids and ids[0] <= sid <= ids[-1]:
            return k
    return None


_GOTO = re.compile(r"^\s*(?:(es|en|s|t|src|tgt)\s*[:\s]?\s*)?(\d+)\s*$", re.IGNORECASE)


def parse_goto(text: str, a: Alignment, src_lang: str = "es", tgt_lang: str = "en") -> int | None:
    """'120' is bead 120 (as numbered on screen, from 1); 'es 45' or 's45' is the bead of source sentence 45,
    'en 45' or 't45' that of target sentence 45 (sentence ids as in the store, from 0)."""
    m = _GOTO.match(text)
    if not m:
        return None
    prefix, n = (m.group(1) or "").lower(), int(m.group(2))
    if not prefix:
        return n - 1 if 1 <= n <= len(a.beads) else None
    side = "src" if prefix in ("s", "src", src_lang.lower()) else "tgt"
    return bead_of_sentence(a, side, n)


def compile_search(text: str, src_lang: str = "es", tgt_lang: str = "en") -> tuple[re.Pattern, str]:
    """A search as typed: an optional 'es:' or 'en:' prefix limits it to one side; the rest is a regex
    (case-insensitive). Returns (pattern, side) with side 'src', 'tgt' or 'both'; raises re.error."""
    side = "both"
    for lang, name in ((src_lang, "src"), (tgt_lang, "tgt")):
        if text.lower().startswith(lang.lower() + ":"):
            side, text = name, text[len(lang) + 1:].lstrip()
    return re.compile(text, re.IGNORECASE), side


def bead_text(b: Bead, doc: Document, side: str) -> str:
    ids = b.src if side == "src" else b.tgt
    return join_sentences((doc.sentences[i].text for i in ids), doc.lang)


def search(a: Alignment, src: Document, tgt: Document, pattern: re.Pattern, side: str, start: int,
           step: int) -> int | None:
    """The next bead from `start` in direction `step` whose text on `side` matches, wrapping around once."""
    n = len(a.beads)
    for d in range(1, n + 1):
        k = (start + step * d) % n
        b = a.beads[k]
        if side in ("src", "both") and pattern.search(bead_text(b, src, "src")):
            return k
        if side in ("tgt", "both") and pattern.search(bead_text(b, tgt, "tgt")):
            return k
    return None


def counts(a: Alignment, flags: Mapping[int, str] | None = None) -> dict[str, int]:
    """How many beads are in each state, plus 'beads', 'reviewed' (confirmed or flagged), and 'edited beads',
    'flagged beads' (by status) and 'doubtful beads' (is_doubtful), whatever their colour.

    One plain loop over the statuses (this runs after every edit of documents of thousands of beads), then a
    correction for the few beads that carry a flag.
    """
    conf_, flag_, edit_ = BeadStatus.CONFIRMED, BeadStatus.FLAGGED, BeadStatus.EDITED
    confirmed = flagged = added = dropped = edited = doubtful = hand_made = 0
    for b in a.beads:
        status = b.status
        if status is conf_:
            confirmed += 1
        elif status is flag_:
            flagged += 1
        elif not b.src:
            added += 1
            hand_made += status is edit_
        elif not b.tgt:
            dropped += 1
            hand_made += status is edit_
        elif status is edit_:
            edited += 1
        elif is_doubtful(b):
            doubtful += 1
    out = dict.fromkeys(STATES, 0)
    out.update(confirmed=confirmed, flagged=flagged, added=added, dropped=dropped, edited=edited, doubtful=doubtful)
    for k, kind in (flags or {}).items():
        b = a.beads[k]
        before, after = bead_state(b), bead_state(b, kind)
        if before != after:
            if before:
                out[before] -= 1
            out[after] += 1
    out["beads"] = len(a.beads)
    out["reviewed"] = confirmed + flagged
    out["edited beads"] = edited + hand_made  # every EDITED bead, one-sided ones (coloured added or dropped) too
    out["flagged beads"] = flagged  # every bead the editor flagged, whatever colour its flag's kind gives it
    out["doubtful beads"] = doubtful  # what `l` stops at and the project screen counts, a flag's colour or not
    return out


def shift_kinds(kinds: Mapping[int, str], stretch: tuple[int, int, int], fresh: Mapping[int, str]) -> dict[int, str]:
    """Flag kinds by bead after an edit that replaced beads lo..old_hi-1 by lo..new_hi-1: the kinds of the other
    beads move with them (a bead's kind depends only on its own sentences and status), `fresh` are those of the
    new beads (PairSession.flags_by_bead(lo, new_hi))."""
    lo, old_hi, new_hi = stretch
    shift = new_hi - old_hi
    out = {k if k < lo else k + shift: v for k, v in kinds.items() if k < lo or k >= old_hi}
    out.update(fresh)
    return out


def changed_stretch(before: Alignment, after: Alignment) -> tuple[int, int, int]:
    """(lo, old_hi, new_hi): `after` is `before` with beads lo..old_hi-1 replaced by lo..new_hi-1."""
    lo, hi = common_ends(before.beads, after.beads)
    return lo, len(before.beads) - hi, len(after.beads) - hi


def links_changed(before: Alignment, after: Alignment, stretch: tuple[int, int, int] | None = None) -> bool:
    """Whether an edit moved sentences between beads (flags depend on that), not only review statuses."""
    lo, old_hi, new_hi = stretch or changed_stretch(before, after)
    return old_hi - lo != new_hi - lo or any(
        (a.src, a.tgt) != (b.src, b.tgt) for a, b in zip(before.beads[lo:old_hi], after.beads[lo:new_hi]))
