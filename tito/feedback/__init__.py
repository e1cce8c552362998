"""Shared helpers for the modules' feedback providers (see `tito.offers`).

A module's report card, figures and benchmarks live in its own folder (`feedback.py` or a
`feedback/` package); what they share, and nothing about any one module, lives here.
"""
