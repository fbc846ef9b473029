"""The rooms of design §2, checked on the source: which app may import which, no cycles, no
other app's private names, and every row lock through the one helper.

The checks read the code with ``ast`` (nothing is imported), so they also see imports hidden
inside functions, which Python only runs later but which still tie the apps together.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOUNDATION = ("core", "accounts")
DOMAIN = ("projects", "budgets", "reviews", "acceptance", "intellectual_property", "secrecy", "reports")
APPS = FOUNDATION + DOMAIN
LOCK_HELPER = Path("core/locks.py")


@dataclass(frozen=True)
class Import:
    path: Path  # relative to the repository
    line: int
    module: str
    names: tuple[str, ...]

    @property
    def app(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.path}:{self.line} imports {self.module}{names}"


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _source_files(app: str) -> list[Path]:
    """An app's code: everything but its tests and migrations."""
    return sorted(
        path
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts and "migrations" not in path.relative_to(ROOT).parts
    )


def _imports(path: Path, *, root: Path = ROOT) -> list[Import]:
    """Every import of ``path``, at module level or inside functions, except those only for
    type checkers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(Import(path.relative_to(root), node.lineno, node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found.extend(Import(path.relative_to(root), node.lineno, alias.name, ()) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.fixture(scope="module")
def imports() -> dict[str, list[Import]]:
    """Per app, its imports of the other apps."""
    by_app: dict[str, list[Import]] = defaultdict(list)
    for app in APPS:
        for path in _source_files(app):
            by_app[app].extend(item for item in _imports(path) if item.app in APPS and item.app != app)
    return by_app


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
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
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return components


def test_no_import_cycle_between_apps(imports):
    edges = {app: {item.app for item in found} for app, found in imports.items()}
    cycles = _cycles(edges)
    evidence = [
        str(item) for cycle in cycles for app in cycle for item in imports[app] if item.app in cycle and item.app != app
    ]
    assert not cycles, (
        "apps importing each other: " + "; ".join(" ↔ ".join(c) for c in cycles) + "\n" + "\n".join(evidence)
    )


def test_core_imports_no_other_app(imports):
    """``core`` is the ground floor: it reaches the apps only through its registries."""
    assert [str(item) for item in imports["core"]] == []


def test_accounts_imports_only_core(imports):
    assert [str(item) for item in imports["accounts"] if item.app != "core"] == []


def test_no_app_imports_another_apps_private_names(imports):
    private = [
        str(item)
        for found in imports.values()
        for item in found
        if any(part.startswith("_") and not part.startswith("__") for part in item.module.split("."))
        or any(name.startswith("_") for name in item.names)
    ]
    assert private == []


def _module_aliases(tree: ast.AST, app: str) -> dict[str, str]:
    """Names bound to a module of another app (``from projects import services`` → services)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in APPS and top != app:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in APPS and top != app and alias.asname:
                    aliases[alias.asname] = alias.name
    return aliases


def test_no_app_reaches_into_another_apps_private_attributes():
    """``services._check_pdf`` through an imported module is as private as importing it."""
    found = []
    for app in APPS:
        for path in _source_files(app):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            aliases = _module_aliases(tree, app)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in aliases
                    and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    assert found == []


def test_rows_are_locked_only_through_the_lock_helper():
    """``select_for_update`` without ``of`` locks every joined row; the helper in core/locks.py
    locks ``of=self`` in primary-key order, and is the only place that may call it."""
    found = []
    for app in APPS:
        for path in _source_files(app):
            if path.relative_to(ROOT) == LOCK_HELPER:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_lock_helper_locks_only_its_own_table_in_primary_key_order():
    """The helper itself: ``of=("self",)`` and an ordering on every lock it takes."""
    tree = ast.parse((ROOT / LOCK_HELPER).read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "select_for_update"
    ]
    assert len(calls) == 1
    keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in calls[0].keywords}
    assert keywords.get("of") == "('self',)"


def test_the_checks_see_what_they_look_for(tmp_path):
    """The readers above find an import inside a function and skip type-checking imports."""
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from budgets.models import Budget\n"
        "def f():\n    from projects.services import _check_pdf\n    return _check_pdf\n",
        encoding="utf-8",
    )
    found = [(item.module, item.names) for item in _imports(source, root=tmp_path)]
    assert ("projects.services", ("_check_pdf",)) in found
    assert not any(module == "budgets.models" for module, _names in found)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
