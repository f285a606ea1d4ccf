"""No private name crosses a module boundary (DESIGN.md, Layout): a helper that two modules
need lives in ``workbench/_internal/`` under a public name, never as ``_name`` borrowed from a
sibling feature module.

The test parses every module of the package with :mod:`ast` and collects

* ``from workbench.x import _name`` (also inside functions),
* ``workbench.x._name`` / ``alias._name`` where ``alias`` is an imported workbench module,

and fails naming the file, the line and the borrowed name. Private *modules* at the top of
the package (``workbench._validation``, ``workbench._models``, ``workbench._shapes``) and the
``workbench._internal`` package are shared on purpose; their public names may be imported,
their private names may not.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(module: str | None, level: int, here: str, is_package: bool) -> str:
    """Absolute module name of a (possibly relative) ``from ... import``."""
    if level == 0:
        return module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


@functools.cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def borrowed_private_names(
    path: Path, modules: dict[str, Path], root: Path = ROOT
) -> list[tuple[int, str, str]]:
    """(line, source module, private name) for every private name this file takes from another module."""
    here = _module_name(path, root)
    tree = _parse(path)
    found: list[tuple[int, str, str]] = []
    aliases: dict[str, str] = {}  # local name -> workbench module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("workbench"):
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else "workbench"
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, here, path.name == "__init__.py")
            if not source.startswith("workbench"):
                continue
            for a in node.names:
                target = f"{source}.{a.name}"
                if target in modules:  # a submodule imported by name, e.g. ``from workbench import dedup``
                    aliases[a.asname or a.name] = target
                elif _is_private(a.name) and source != here:
                    found.append((node.lineno, source, a.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            dotted: list[str] = []
            value: ast.expr = node.value
            while isinstance(value, ast.Attribute):
                dotted.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                source = ".".join([aliases[value.id], *reversed(dotted)])
                if source in modules and source != here:
                    found.append((node.lineno, source, node.attr))
    return sorted(set(found))


# Known offenders, each (importing module, source module, name); the list only shrinks.
# (Empty since the dedup package gave its kernels public names, issue 20.)
ALLOWED: frozenset[tuple[str, str, str]] = frozenset()


def test_no_private_name_crosses_a_module_boundary() -> None:
    modules = _modules()
    offences = []
    for name, path in modules.items():
        for line, source, private in borrowed_private_names(path, modules):
            if (name, source, private) not in ALLOWED:
                offences.append(f"{path.relative_to(ROOT)}:{line}: {private} from {source}")
    assert not offences, (
        "private names borrowed across modules (move the helper to workbench/_internal/ under a "
        "public name, or make it public where it lives):\n" + "\n".join(offences)
    )


def test_allow_list_holds_only_live_offences() -> None:
    """An entry of ALLOWED that no longer occurs must go, so the list only shrinks."""
    modules = _modules()
    live = {
        (name, source, private)
        for name, path in modules.items()
        for _, source, private in borrowed_private_names(path, modules)
    }
    assert not (ALLOWED - live), f"remove these from ALLOWED, they no longer occur: {sorted(ALLOWED - live)}"


_SHARED_PRIVATE_MODULES = {"_validation", "_models", "_shapes", "_runrecord", "_internal"}


def _script_sources() -> dict[str, str]:
    """Code of every benchmark script and notebook (magics dropped), by its path."""
    import json

    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted((ROOT / "benchmarks").glob("*.py"))}
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        out[str(nb.relative_to(ROOT))] = "\n".join(
            line for block in code for line in block.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
    return out


def test_notebooks_and_benchmarks_use_public_names(tmp_path: Path) -> None:
    """Notebooks and benchmarks import neither a private name nor a feature module's private module."""
    modules = _modules()
    offences = []
    for i, (where, code) in enumerate(_script_sources().items()):
        path = tmp_path / f"script_{i}.py"
        path.write_text(code, encoding="utf-8")
        for line, source, private in borrowed_private_names(path, modules, root=tmp_path):
            offences.append(f"{where}:{line}: {private} from {source}")
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench."):
                parts = (node.module or "").split(".")[1:]
                if any(_is_private(p) for p in parts) and parts[0] not in _SHARED_PRIVATE_MODULES:
                    offences.append(f"{where}: imports from the private module {node.module}")
    assert not offences, "use the public name (or make the helper public where it lives):\n" + "\n".join(offences)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from workbench.agreement import _prepare\n", [(1, "workbench.agreement", "_prepare")]),
        ("from .agreement import _prepare\n", [(1, "workbench.agreement", "_prepare")]),
        ("def f():\n    from workbench.agreement import _prepare\n", [(2, "workbench.agreement", "_prepare")]),
        ("from workbench import agreement as ag\nag._prepare\n", [(2, "workbench.agreement", "_prepare")]),
        ("import workbench.agreement\nworkbench.agreement._prepare\n", [(2, "workbench.agreement", "_prepare")]),
        ("from workbench.agreement import cohens_kappa\n", []),
        ("from workbench._validation import check_choice\n", []),
        ("from workbench.agreement import __all__\n", []),
    ],
)
def test_the_parser_finds_borrowed_names(tmp_path: Path, source: str, expected: list[tuple[int, str, str]]) -> None:
    """The checker itself can fail: each way of borrowing a private name is caught."""
    modules = {**_modules(), "workbench._probe_for_test": PACKAGE / "_probe_for_test.py"}
    path = tmp_path / "workbench" / "_probe_for_test.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    assert borrowed_private_names(path, modules, root=tmp_path) == expected


# --------------------------------------------------------------------------------------
# Layers (docs/architecture.md): a lower layer never imports a higher one
# --------------------------------------------------------------------------------------

#: Top-level module or package of ``workbench`` -> its layer. A new module gets a line here
#: (docs/architecture.md says which layer is which).
LAYERS: dict[str, int] = {
    # 0: foundation, shared by everything
    "workbench": 0, "errors": 0, "_validation": 0, "_internal": 0, "_runrecord": 0, "_shapes": 0, "_models": 0,
    # 1: I/O and validation
    "io": 1, "formats": 1, "overview": 1,
    # 2: statistics and scoring
    "agreement": 2, "aggregation": 2, "acceptance": 2, "bias": 2, "drift": 2, "vendors": 2, "ablation": 2,
    "calibration": 2, "flywheel": 2, "dedup": 2, "spark": 2, "scoring": 2, "samples": 2, "sampling": 2,
    # 3: review
    "review": 3,
    # 4: analyses (one per report) and what they show: figures, findings, the inputs statement
    "analyses": 4, "plots": 4, "findings": 4, "report_inputs": 4, "manifest": 4,
    # 5: reports, dashboard and CLI (views of the analyses)
    "reports": 5, "dashboard": 5, "pipelines": 5, "cli": 5, "__main__": 5,
}
LAYER_NAMES = ("foundation", "I/O and validation", "statistics and scoring", "review", "analyses",
               "reports, dashboard and CLI")


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "workbench"


def _imported_modules(path: Path, modules: dict[str, Path]) -> set[tuple[int, str]]:
    here = _module_name(path)
    out: set[tuple[int, str]] = set()
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, here, path.name == "__init__.py")
            if source.startswith("workbench"):
                for a in node.names:
                    target = f"{source}.{a.name}"
                    out.add((node.lineno, target if target in modules else source))
        elif isinstance(node, ast.Import):
            out |= {(node.lineno, a.name) for a in node.names if a.name.startswith("workbench")}
    return out


def test_every_module_has_a_layer() -> None:
    missing = sorted({_top(m) for m in _modules()} - set(LAYERS))
    assert not missing, f"add these modules to LAYERS in tests/test_imports.py (see docs/architecture.md): {missing}"


def test_no_lower_layer_imports_a_higher_one() -> None:
    modules = _modules()
    offences = []
    for name, path in modules.items():
        mine = LAYERS.get(_top(name))
        for line, target in _imported_modules(path, modules):
            theirs = LAYERS.get(_top(target))
            if mine is not None and theirs is not None and theirs > mine:
                offences.append(
                    f"{path.relative_to(ROOT)}:{line}: {LAYER_NAMES[mine]} module imports {target} "
                    f"({LAYER_NAMES[theirs]})"
                )
    assert not offences, "a lower layer imports a higher one (move the shared part down):\n" + "\n".join(offences)


def test_the_layer_scanner_sees_imports() -> None:
    """The checker itself can fail: it sees acceptance's import of agreement (a same-layer edge)."""
    modules = _modules()
    seen = {t for _, t in _imported_modules(PACKAGE / "acceptance.py", modules)}
    assert {"workbench.agreement", "workbench._internal.coding"} <= seen


def _import_graph() -> dict[str, set[str]]:
    """Module -> the workbench modules it imports (at any depth of the file, so a function-level
    import counts: it is a dependency all the same)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for _, target in _imported_modules(path, modules):
            parts = target.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                targets.add(".".join(parts))
        graph[name] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    """Issue 26: io <-> formats and scoring.clip <-> demo_clip were circles; none may come back."""
    cycles = import_cycles(_import_graph())
    assert not cycles, "modules that import each other (move the shared part down):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_the_cycle_finder_can_fail() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
