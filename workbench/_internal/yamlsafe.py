"""YAML from users, read with limits: a few hundred bytes must not become gigabytes.

``yaml.safe_load`` builds no objects from tags, but aliases still let a 400-byte file
("billion laughs") describe a structure of 10**9 strings; printing it in an error message
then takes gigabytes. :func:`load_yaml` refuses large files and alias-heavy documents
before building anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

__all__ = ["load_yaml", "MAX_YAML_BYTES", "MAX_YAML_VALUES"]

#: Largest YAML file read (rules and calibration files are a few kB).
MAX_YAML_BYTES = 1_000_000
#: Most values a document may hold once its aliases (``*name``) are expanded.
MAX_YAML_VALUES = 1_000_000


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Values in ``node`` with every alias written out (shared nodes counted each time)."""
    import yaml

    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once instead of looping
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, 10 * MAX_YAML_VALUES)
    return memo[key]


def load_yaml(path: str | os.PathLike[str], *, what: str = "YAML file") -> Any:
    """Parse a YAML file safely and within limits.

    Raises
    ------
    WorkbenchError
        The file is missing, larger than :data:`MAX_YAML_BYTES`, expands through its
        aliases to more than :data:`MAX_YAML_VALUES` values ("billion laughs"), or is not
        valid YAML (message of at most a few hundred characters).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.yaml"
    >>> _ = p.write_text("a: &x [1, 2]\\nb: *x\\n")
    >>> load_yaml(p)
    {'a': [1, 2], 'b': [1, 2]}
    >>> _ = p.write_text("a0: &a0 [lol, lol]\\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\\n" for i in range(1, 31)))
    >>> load_yaml(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: YAML file '...' expands through its aliases (*name) to more than 1,000,000 values ...
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise WorkbenchError(f"no {what} at '{p}'.")
    size = p.stat().st_size
    if size > MAX_YAML_BYTES:
        raise WorkbenchError(
            f"{what} '{p}' is {size:,} bytes; the limit is {MAX_YAML_BYTES:,}. A rules file is a few kB: "
            "check that this is the right file."
        )
    text = p.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)  # the node graph: aliases stay shared
        expanded = _expanded_size(node, {}) if node is not None else 0
        if expanded > MAX_YAML_VALUES:
            raise WorkbenchError(
                f"{what} '{p}' expands through its aliases (*name) to more than {MAX_YAML_VALUES:,} "
                "values (a 'billion laughs' file) and is refused. Write the values out."
            )
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message = str(exc)
        if len(message) > 300:
            message = message[:300] + " …"
        raise WorkbenchError(f"{what} '{p}' is not valid YAML: {message}") from exc
