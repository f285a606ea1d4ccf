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

__all__ = ["load_yaml", "MAX_YAML_BYTES", "MAX_YAML_ALIASES"]

#: Largest YAML file read (rules and calibration files are a few kB).
MAX_YAML_BYTES = 1_000_000
#: Most aliases (``*name``) one document may use.
MAX_YAML_ALIASES = 100


def load_yaml(path: str | os.PathLike[str], *, what: str = "YAML file") -> Any:
    """Parse a YAML file safely and within limits.

    Raises
    ------
    WorkbenchError
        The file is missing, larger than :data:`MAX_YAML_BYTES`, uses more than
        :data:`MAX_YAML_ALIASES` aliases, or is not valid YAML (message of at most a few
        hundred characters).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.yaml"
    >>> _ = p.write_text("a: &x [1, 2]\\nb: *x\\n")
    >>> load_yaml(p)
    {'a': [1, 2], 'b': [1, 2]}
    >>> _ = p.write_text("a: &a [x, x]\\n" + "".join(f"b{i}: &b{i} [*a, *a]\\n" for i in range(60)))
    >>> load_yaml(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: YAML file '...' uses more than 100 aliases (*name); ...
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
        aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise WorkbenchError(
                        f"{what} '{p}' uses more than {MAX_YAML_ALIASES} aliases (*name); such a "
                        "document can expand to billions of values (a 'billion laughs' file) and is "
                        "refused. Write the values out."
                    )
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message = str(exc)
        if len(message) > 300:
            message = message[:300] + " …"
        raise WorkbenchError(f"{what} '{p}' is not valid YAML: {message}") from exc
