"""The package's layers (ARCHITECTURE.md): no module imports from a concern above its own.

Every module under src/stalecreds is parsed (ast) and every import of a stalecreds module is
checked, function-level and ``TYPE_CHECKING`` imports included: a lazy import is still a
dependency. The concerns form a partial order, bottom up:

    base (model, errors, wording, files, lazy)
      < rules < report < accounts < aws < remediate
      < rules < report < history                     (history knows nothing of AWS)
      < formats (render scans, plans, history)
      < workflows (the library API)
      < cli, demo, __main__, and the package's own __init__ (the public facade)

Also: nothing below the CLI imports click, and the workflows import neither click nor rich.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "stalecreds"
BASE = {"model", "errors", "wording", "files", "lazy"}

ALLOWED: dict[str, set[str]] = {"base": set(), "rules": {"base"}}
ALLOWED["report"] = ALLOWED["rules"] | {"rules"}
ALLOWED["history"] = ALLOWED["report"] | {"report"}
ALLOWED["accounts"] = ALLOWED["report"] | {"report"}
ALLOWED["aws"] = ALLOWED["accounts"] | {"accounts"}
ALLOWED["remediate"] = ALLOWED["aws"] | {"aws"}
ALLOWED["formats"] = (ALLOWED["remediate"] | {"remediate", "history"}) - {"aws"}
ALLOWED["workflows"] = ALLOWED["formats"] | {"formats", "aws"}
TOP = ALLOWED["workflows"] | {"workflows"}
ALLOWED["cli"] = TOP | {"demo"}
ALLOWED["demo"] = TOP
ALLOWED["__main__"] = TOP | {"cli"}
ALLOWED["facade"] = TOP
"""Each concern and the concerns it may import from (its own is always allowed)."""


def concern(module: str) -> str:
    """``stalecreds.aws.session`` → ``aws``; the bottom modules → ``base``."""
    parts = module.split(".")
    if parts == ["stalecreds"]:
        return "facade"
    return "base" if parts[1] in BASE else parts[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every import in ``path``: (line, module, names), relative imports resolved."""
    found = []
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_order_is_a_partial_order():
    for name, allowed in ALLOWED.items():
        for below in allowed:
            assert name not in ALLOWED.get(below, set()), f"{name} and {below} import each other"


def test_every_concern_has_a_place():
    for path in modules():
        assert concern(module_name(path)) in ALLOWED, f"{path}: a concern with no layer"


def test_no_module_imports_from_a_concern_above_it():
    violations = []
    for path in modules():
        importer = module_name(path)
        for line, module, names in imports(path):
            if module != "stalecreds" and not module.startswith("stalecreds."):
                continue
            if module == "stalecreds" and names == ["__version__"]:
                continue  # the version string; the package's __init__ is always loaded first
            if above(importer, module):
                violations.append(f"{importer} (line {line}) imports {module}")
    assert violations == []


def above(importer: str, module: str) -> bool:
    """True when ``module`` belongs to a concern ``importer`` may not import from."""
    mine, theirs = concern(importer), concern(module)
    return theirs != mine and theirs not in ALLOWED[mine]


def test_the_library_does_not_import_click_and_the_workflows_not_rich():
    violations = []
    for path in modules():
        importer = module_name(path)
        mine = concern(importer)
        for line, module, _ in imports(path):
            top = module.split(".")[0]
            if top == "click" and mine not in ("cli", "__main__"):
                violations.append(f"{importer} (line {line}) imports click")
            if top == "rich" and mine == "workflows":
                violations.append(f"{importer} (line {line}) imports rich")
    assert violations == []


def test_the_checker_sees_function_level_imports():
    # run_scan imports the live scan inside the function, so that a report scan never loads it.
    found = [module for _, module, _ in imports(PACKAGE / "workflows" / "scan.py")]
    assert "stalecreds.aws.live_scan" in found
    assert "stalecreds.aws.account_scanners" in found


def test_the_checker_refuses_upward_imports():
    assert above("stalecreds.report.scan", "stalecreds.aws.session")
    assert above("stalecreds.accounts.scanners", "stalecreds.aws.live_scan")
    assert above("stalecreds.history.store", "stalecreds.remediate.plan")
    assert above("stalecreds.formats.table", "stalecreds.aws.session")
    assert above("stalecreds.workflows.scan", "stalecreds.cli.common")
    assert above("stalecreds.model", "stalecreds.rules.verdicts")
    assert not above("stalecreds.cli.common", "stalecreds.workflows.scan")
    assert not above("stalecreds.remediate.apply", "stalecreds.aws.session")
    assert not above("stalecreds.formats.plan_view", "stalecreds.remediate.plan")
