"""Shared internals: one home for each idea used by several feature modules.

Modules here hold helpers that more than one feature module needs (interval
estimates, resampling weights, label coding and gold alignment, text-list
coercion, escaping for HTML/Markdown, date parsing that refuses mixed formats, label
variants, size-limited YAML).  Their names are public *within* ``workbench._internal``
so that feature modules import them without reaching into each other's
private names; they are not part of the package's public API (see
``docs/architecture.md``).
"""
