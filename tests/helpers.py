"""Small builders shared by several test files (imported as `helpers`: tests/ is on sys.path under pytest)."""

from __future__ import annotations

from aligner.models import Document, Sentence


def make_doc(paragraphs: list[list[str]], lang: str = "en", path: str | None = None) -> Document:
    """A Document from paragraphs of sentences, with offsets into the joined text."""
    text, sents = "", []
    for p, para in enumerate(paragraphs):
        if p:
            text += "\n\n"
        for k, s in enumerate(para):
            if k:
                text += " "
            sents.append(Sentence(len(sents), s, p, len(text), len(text) + len(s)))
            text += s
    return Document(path or f"{lang}.txt", lang, text, tuple(sents))
