"""The floor holds: nothing in ecomcms/ (runtime, API kit, queueing, errors) imports an app above it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py") if path.parent.name != "ecomcms")
EXEMPT: set[str] = set()


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_apps_are_found():
    assert {"content", "recommender", "storefront", "support", "privacy"} <= set(APPS)


def test_nothing_in_ecomcms_imports_an_app():
    offences = []
    for path in sorted((ROOT / "ecomcms").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in EXEMPT or "/migrations/" in relative:
            continue
        offences += [f"{relative}: {module}" for module in sorted(imported_modules(path))
                     if module.split(".")[0] in APPS]
    assert offences == []
