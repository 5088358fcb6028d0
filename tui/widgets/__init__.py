"""Widgets of the review screen: the bead grid and the panes under it."""
