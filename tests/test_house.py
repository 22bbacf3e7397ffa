"""The house: every package imports only from the floors below it, and no modules in a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from config import PROJECT_ROOT

# The order the README's "House" section documents, ground floor first. A package may import
# its own modules and anything on a lower floor, never a package beside or above it.
FLOORS = (
    ("config",),
    ("identifiers", "words", "models"),
    ("ops",),
    ("web",),
    ("ussd", "sms"),
    ("services",),
    ("menus", "jobs", "api", "demo"),
    ("staff",),
    ("app", "bench", "scripts"),
)
FLOOR = {package: level for level, packages in enumerate(FLOORS) for package in packages}
SKIPPED = ("tests", "models/migrations/versions", ".venv", "var")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PROJECT_ROOT.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT)
        if relative.as_posix().startswith(SKIPPED):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        yield name, path


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every project module `path` imports, at module level or inside a function.

    `from package import module` imports that module (and the package's face, not counted).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            inner = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found.update(inner if len(inner) == len(node.names) else {node.module, *inner})
    return found & modules


def _graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    names = set(modules)
    return {name: _imports(path, names) - {name} for name, path in modules.items()}


def test_every_package_has_a_floor():
    packages = {name.split(".")[0] for name, _ in _modules()}
    assert packages <= set(FLOOR), packages - set(FLOOR)


def test_no_package_imports_one_beside_or_above_it():
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if (s := source.split(".")[0]) != (t := target.split(".")[0]) and FLOOR[t] >= FLOOR[s]
    )
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    graph, done, circles = _graph(), set[str](), list[list[str]]()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            circles.append(path[path.index(name) :])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert circles == []
