"""The exceptions the workbench raises on bad input, missing models and failed reports.

Every error a user can cause is a :class:`WorkbenchError` (a ``ValueError``), and its
message names the table, the column, the first offending rows and the fix.
"""

from __future__ import annotations

__all__ = [
    "WorkbenchError",
    "SchemaError",
    "ModelNotAvailableError",
    "ReportError",
    "ConvergenceWarning",
    "LabelVariantWarning",
]


class WorkbenchError(ValueError):
    """Base class of every error caused by input, configuration or environment."""


class SchemaError(WorkbenchError):
    """A table lacks a column, has the wrong type, duplicates or unreadable rows."""


class ModelNotAvailableError(WorkbenchError):
    """A model could not be found locally and cannot be downloaded."""


class ReportError(WorkbenchError):
    """A report could not be run: unknown name, unknown parameter, or a failing cell."""


class ConvergenceWarning(UserWarning):
    """An iterative estimator stopped at its iteration limit before converging."""


class LabelVariantWarning(UserWarning):
    """Labels that differ only by case or surrounding whitespace are counted as different."""
