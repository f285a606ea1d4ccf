"""The exceptions the workbench raises on bad input, missing models and failed reports.

Every error a user can cause is a :class:`WorkbenchError` (a ``ValueError``), and its
message names the table, the column, the first offending rows and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "interface",
    "parameter",
    "speaking",
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


# ---- messages speak the interface in use (issue 27): flags on the command line, parameters in Python ----
_INTERFACE: ContextVar[str] = ContextVar("workbench_interface", default="python")


@contextmanager
def speaking(interface: str) -> Iterator[None]:
    """Within this block, messages name settings as ``interface`` spells them (``"cli"`` or ``"python"``)."""
    token = _INTERFACE.set(interface)
    try:
        yield
    finally:
        _INTERFACE.reset(token)


def interface() -> str:
    """The interface whose words messages use now: ``"python"`` (default) or ``"cli"``."""
    return _INTERFACE.get()


def parameter(name: str, value: str = "", *, option: bool = False, flag: str | None = None) -> str:
    """How the user sets ``name`` to ``value``, in the words of the interface in use.

    ``option=True``: a reader option (``options={'question': NAME}`` in Python, ``--option
    question=NAME`` on the command line). ``flag``: the command line's own name when it is not
    ``--`` plus ``name`` with dashes. ``value`` is written as given (quote it yourself for Python).

    >>> parameter("question", "NAME", option=True)
    "options={'question': NAME}"
    >>> with speaking("cli"):
    ...     parameter("question", "NAME", option=True), parameter("level", "interval"), parameter("normalize_labels", "True")
    ('--option question=NAME', '--level interval', '--normalize-labels')
    """
    if _INTERFACE.get() == "cli":
        if option:
            return f"--option {name}={value.strip(chr(39))}"
        spelled = flag or "--" + name.replace("_", "-")
        return spelled if value in ("True", "") else f"{spelled} {value.strip(chr(39))}"
    if option:
        return f"options={{'{name}': {value}}}"
    return f"{name}={value}"
