"""The errors the library raises: one base class, so the CLI and the TUI can turn any of them into a message."""

from __future__ import annotations


class AlignerError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(AlignerError):
    """A file cannot be used: missing, empty, binary, undecodable. The message names the file."""


class SegmentationError(AlignerError):
    """Text could not be split into sentences."""


class UnsupportedLanguage(AlignerError):
    """The encoder does not cover a language the user asked for."""


class EncoderUnavailable(AlignerError):
    """The encoder asked for cannot be loaded (missing package, unknown model, no local copy)."""


class EncodingFailed(AlignerError):
    """The encoder failed on some text; we never substitute made-up vectors."""


class GoldFormatError(AlignerError):
    """A gold or test alignment file is malformed. The message names the file and the line."""


class StoreError(AlignerError):
    """The project database cannot be used (locked by another process, corrupt, wrong schema)."""


class StoreBusy(StoreError):
    """Another process held the project's write lock for longer than the store waits."""


class StaleAlignment(StoreError):
    """The alignment was re-aligned or edited by another process since it was loaded: load it again."""
