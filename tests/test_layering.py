"""The code's layering and size rules, checked by reading every module's imports (function-level ones
included) and every function's length.

Rules (README, "Layout of the code"):
* only ``qb_assets/defs/`` and ``qb_assets/cli/`` import Dagster;
* ``ml/`` imports nothing from ``qb_assets``;
* the libraries (``qb_assets`` ``common``, ``io``, ``ingest``, ``features``, ``model``, ``scoring``,
  ``warehouse`` and ``ml``) never import ``qb_assets.synthetic``: the generator is a data source, wired
  in by ``defs`` and ``cli`` only;
* each library package imports only the packages below it (``ALLOWED_IMPORTS``);
* no import cycles between the project's modules;
* modules of at most MAX_MODULE_LINES lines, functions of at most MAX_FUNCTION_LINES.

Each rule is also run on a small package written to a temporary folder with one violation of each kind,
to show the checker finds them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

PROJECT_PACKAGES = ("qb_assets", "ml")
DAGSTER_ALLOWED = ("qb_assets.defs", "qb_assets.cli")
LIBRARIES = (
    "qb_assets.common",
    "qb_assets.io",
    "qb_assets.ingest",
    "qb_assets.features",
    "qb_assets.model",
    "qb_assets.scoring",
    "qb_assets.warehouse",
    "ml",
)
GENERATOR = "qb_assets.synthetic"
# What each package of qb_assets may import besides itself (defs and cli may import anything).
ALLOWED_IMPORTS = {
    "common": set(),
    "io": set(),
    "ingest": {"common", "io"},
    "warehouse": {"common", "io"},
    "features": {"common", "io", "ingest", "ml"},
    "model": {"common", "io", "ingest", "features", "ml"},
    "scoring": {"common", "io", "ingest", "features", "model", "warehouse", "ml"},
    "synthetic": {"common", "io", "ingest", "ml"},
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages under ``root``."""
    modules = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``name`` imports, at any depth of the file (function bodies too). ``from a import b``
    counts as ``a.b`` when that is a project module, else as ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def _inside(module: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def package_of(module: str) -> str | None:
    """``ml`` or the qb_assets package a module belongs to (None for anything else)."""
    parts = module.split(".")
    if parts[0] == "ml":
        return "ml"
    return parts[1] if parts[0] == "qb_assets" and len(parts) > 1 else None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layering_violations(root: Path) -> list[str]:
    """One line per broken layering rule in the project under ``root``."""
    graph = import_graph(root)
    problems = []
    for module, imports in sorted(graph.items()):
        for target in sorted(imports):
            is_dagster = _inside(target, "dagster") or target.startswith("dagster_")
            if is_dagster and not _inside(module, DAGSTER_ALLOWED):
                problems.append(f"{module} imports {target}: only defs/ and cli/ import Dagster")
            if _inside(module, "ml") and _inside(target, "qb_assets"):
                problems.append(f"{module} imports {target}: ml/ imports nothing from qb_assets")
            if _inside(module, LIBRARIES) and _inside(target, GENERATOR):
                problems.append(f"{module} imports {target}: libraries never import the generator")
            source, imported = package_of(module), package_of(target)
            allowed = ALLOWED_IMPORTS.get(source)
            if allowed is not None and imported not in (None, source, *allowed):
                problems.append(f"{module} imports {target}: {source}/ may import only {sorted(allowed)}")
    problems += [f"import cycle: {' -> '.join(component)}" for component in cycles(graph)]
    return problems


def size_violations(root: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and functions over MAX_FUNCTION_LINES."""
    problems = []
    for name, path in module_files(root).items():
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            problems.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{name}.{node.name}: {length} lines")
    return problems


def test_the_project_keeps_its_layers() -> None:
    assert layering_violations(REPO_ROOT) == []


def test_modules_and_functions_stay_small() -> None:
    assert size_violations(REPO_ROOT) == []


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_finds_each_kind_of_violation(tmp_path: Path) -> None:
    for package in ("qb_assets", "qb_assets/ingest", "qb_assets/synthetic", "qb_assets/defs", "ml"):
        _write(tmp_path, f"{package}/__init__.py", "")
    _write(tmp_path, "qb_assets/defs/assets.py", "import dagster as dg\n")  # allowed
    _write(tmp_path, "qb_assets/ingest/rules.py", "def f():\n    import dagster\n")
    _write(tmp_path, "ml/model.py", "from qb_assets.ingest import rules\n")
    _write(tmp_path, "qb_assets/ingest/truth.py", "def g():\n    from qb_assets.synthetic import season\n")
    _write(tmp_path, "qb_assets/synthetic/season.py", "from qb_assets.ingest import rules\n")  # allowed
    _write(tmp_path, "qb_assets/ingest/a.py", "from qb_assets.ingest import b\n")
    _write(tmp_path, "qb_assets/ingest/b.py", "def h():\n    from qb_assets.ingest.a import x\n")
    _write(tmp_path, "qb_assets/io/__init__.py", "")
    _write(tmp_path, "qb_assets/io/lake.py", "from qb_assets.ingest import rules\n")
    problems = layering_violations(tmp_path)
    assert problems == [
        "ml.model imports qb_assets.ingest.rules: ml/ imports nothing from qb_assets",
        "qb_assets.ingest.rules imports dagster: only defs/ and cli/ import Dagster",
        "qb_assets.ingest.truth imports qb_assets.synthetic.season: libraries never import the generator",
        "qb_assets.ingest.truth imports qb_assets.synthetic.season: ingest/ may import only ['common', 'io']",
        "qb_assets.io.lake imports qb_assets.ingest.rules: io/ may import only []",
        "import cycle: qb_assets.ingest.a -> qb_assets.ingest.b",
    ]
    long_function = "def long():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    padding = "\n" * (MAX_MODULE_LINES - MAX_FUNCTION_LINES)
    _write(tmp_path, "qb_assets/ingest/long.py", long_function + padding)
    assert size_violations(tmp_path) == [
        f"qb_assets.ingest.long: {MAX_MODULE_LINES + 1} lines",
        f"qb_assets.ingest.long.long: {MAX_FUNCTION_LINES + 1} lines",
    ]
