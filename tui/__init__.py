"""The Textual review app (`aligner review`): imported only by that command and by its tests."""
