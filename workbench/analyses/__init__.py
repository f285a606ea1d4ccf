"""One analysis per report: ``run(...)`` returns a typed result; notebooks and the CLI view it.

Each module (``length_bias``, ``annotation_reliability``, …) computes everything its report
shows — the verdict, the tables and figures as data, findings on degenerate data, and the
sanity checks — with the report's defaults declared once (``DEFAULTS``). The notebook shows
the result; the CLI command for the same question prints ``result.summary()``. See
:mod:`workbench.analyses.base` for what every result has, and ``docs/architecture.md``.
"""

from __future__ import annotations

__all__: list[str] = []
