"""Imports point one way: me/ above journal/, journal/ above recovery/. Nothing dodges that with
an import inside a function."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BELOW = {"recovery": {"journal", "me"}, "journal": {"me"}}


def modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text())


def imported(node):
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module.split(".")[0]]
    return []


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_app_never_imports_one_above_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
        for path, tree in modules(app)
        for node in ast.walk(tree)
        for name in imported(node)
        if name in BELOW[app]
    ]
    assert wrong == []


@pytest.mark.parametrize("app", ["recovery", "journal", "me"])
def test_no_import_of_our_own_apps_hides_inside_a_function(app):
    hidden = []
    for path, tree in modules(app):
        if path.name == "apps.py":
            continue  # AppConfig.ready() is where Django asks for checks and signals to load
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(func):
                    if any(name in {"recovery", "journal", "me"} for name in imported(node)):
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hidden == []


def test_templates_write_urls_one_way():
    """{% link %} everywhere: no {% url %}, and no hard-coded path to a private page."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    wrong = [
        str(path.relative_to(ROOT))
        for path in templates
        if "{% url " in path.read_text() or 'href="/journal/' in path.read_text()
    ]
    assert wrong == []
