"""The SMS package's modules depend one way: no import cycle, not even one only for typing."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter

from config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "sms"


def _top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported at module level, `if TYPE_CHECKING:` blocks included."""
    found: set[str] = set()
    for node in tree.body:
        inner = node.body if isinstance(node, ast.If) else [node]
        for statement in inner:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                found.add(statement.module)
                found.update(f"{statement.module}.{alias.name}" for alias in statement.names)
            elif isinstance(statement, ast.Import):
                found.update(alias.name for alias in statement.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"sms.{path.stem}": path for path in PACKAGE.glob("*.py")}
    return {
        name: _top_level_imports(ast.parse(path.read_text())) & modules.keys() - {name}
        for name, path in modules.items()
    }


def test_the_sms_package_has_no_import_cycle():
    graph = _graph()
    assert "sms.ledger" in graph["sms.recording"]  # the parse sees the imports
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {exc.args[1]}") from None
    assert order.index("sms.recording") < order.index("sms.delivery")
