"""The layout rules of docs/ARCHITECTURE.md, checked on the source so that they stay true.

Each test reads the code as text / syntax trees (nothing is imported or run) and names the file and
line that breaks a rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "tracker"
SERVICES = TRACKER / "services"

# The shared kernel: the only modules allowed directly in tracker/services/ (features are sub-packages).
SERVICE_KERNEL = {"__init__", "audit", "caching", "errors", "exports", "pagination", "scoping", "stages", "unit_of_work", "upsert"}

# Modules that commit on their own, each for a stated reason (everything else commits through
# tracker/services/unit_of_work.py).
OWN_COMMITS = {
    # claim and finish of one outbox row are deliberately separate short transactions: a crash
    # between them must leave the claim (lease) visible to other workers
    
    # the demo city and the benchmark city load in chunks of thousands of rows per commit
    "tracker/services/ops/demo_city.py",
}

# Blueprint-side modules: views, CLI commands, forms (and the Celery tasks).
ADAPTER_FILES = sorted(
    p for p in [*TRACKER.glob("*/views.py"), *TRACKER.glob("*/cli.py"), *TRACKER.glob("*/forms.py"),
                TRACKER / "cli.py", *(ROOT / "workers").glob("*.py")]
    if p.exists()
)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _session_calls(path: Path, names: set[str]) -> list[int]:
    """Lines calling `<something>.session.<name>()` or `<session>.<name>()` for a name in `names`."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            target = ast.unparse(node.func.value)
            if target.endswith("session") or target.endswith("connection") or target == "db":
                lines.append(node.lineno)
    return lines


def test_the_checks_see_the_code():
    # Guards the guards: an empty glob would make every test below pass vacuously.
    assert len(ADAPTER_FILES) > 20
    assert len(list(SERVICES.rglob("*.py"))) > 40
    assert len(list((TRACKER / "rules").glob("*.py"))) > 8


@pytest.mark.parametrize("path", ADAPTER_FILES, ids=_rel)
def test_views_cli_and_tasks_leave_transactions_to_the_services(path):
    calls = _session_calls(path, {"commit", "rollback"})
    assert not calls, f"{_rel(path)} lines {calls}: call a service (it runs in a unit of work) instead"


def test_services_commit_only_through_the_unit_of_work():
    offenders = []
    for path in sorted(SERVICES.rglob("*.py")):
        rel = _rel(path)
        if rel == "tracker/services/unit_of_work.py" or rel in OWN_COMMITS:
            continue
        offenders += [f"{rel}:{line}" for line in _session_calls(path, {"commit", "rollback"})]
    assert not offenders, "bare commit/rollback outside unit_of_work: " + ", ".join(offenders)


def test_rules_are_pure_python():
    offenders = [
        f"{_rel(path)}:{line} imports {module}"
        for path in sorted((TRACKER / "rules").glob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] in {"flask", "flask_login", "flask_sqlalchemy", "flask_wtf", "sqlalchemy", "celery", "wtforms"}
        or module.startswith("tracker.") and not module.startswith("tracker.rules")
    ]
    assert not offenders, offenders


def test_services_never_read_the_signed_in_user_and_say_why_they_need_flask():
    offenders = []
    for path in sorted(SERVICES.rglob("*.py")):
        source = path.read_text(encoding="utf-8").splitlines()
        for line, module in _imports(path):
            root = module.split(".")[0]
            if root == "flask_login":
                offenders.append(f"{_rel(path)}:{line} imports flask_login (take the acting user as an argument)")
            elif root == "flask" and "#" not in source[line - 1] and not source[line - 2].lstrip().startswith("#"):
                offenders.append(f"{_rel(path)}:{line} imports flask without a comment saying why")
    assert not offenders, offenders


def test_services_never_import_views_or_workers():
    blueprints = {p.parent.name for p in TRACKER.glob("*/views.py")}
    offenders = [
        f"{_rel(path)}:{line} imports {module}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, module in _imports(path)
        if module.startswith("workers") or module.split(".")[:2] in [["tracker", b] for b in blueprints | {"web"}]
    ]
    assert not offenders, offenders


def test_services_hold_features_in_sub_packages_beside_a_small_kernel():
    loose = sorted(p.stem for p in SERVICES.glob("*.py") if p.stem not in SERVICE_KERNEL)
    assert not loose, f"loose service modules {loose}: put them in a feature package (or extend the kernel on purpose)"
    for package in (p for p in SERVICES.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert (package / "__init__.py").exists(), f"{_rel(package)} is not a package"


def _python_files() -> list[Path]:
    return sorted(p for base in (TRACKER, ROOT / "workers") for p in base.rglob("*.py"))


def test_no_import_below_a_definition():
    # Bottom-of-file imports hide cycles; an import that must wait belongs in a function with a reason.
    offenders = []
    for path in _python_files():
        seen_definition = False
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                seen_definition = True
            elif seen_definition and isinstance(node, (ast.Import, ast.ImportFrom)):
                offenders.append(f"{_rel(path)}:{node.lineno}")
    assert not offenders, offenders


def _explained(source: list[str], lineno: int) -> bool:
    """Whether the import on `lineno` carries a comment, or heads a block of imports under one."""
    if "#" in source[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and source[index].lstrip().startswith(("from ", "import ")):
        index -= 1
    return index >= 0 and source[index].lstrip().startswith("#")


def test_in_function_imports_say_why():
    offenders = []
    for path in _python_files():
        source = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(source))
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not _explained(source, node.lineno):
                    offenders.append(f"{_rel(path)}:{node.lineno}")
    assert not offenders, "in-function imports without a comment saying why: " + ", ".join(offenders)


_DOC_PATH = re.compile(r"`((?:tracker|workers|templates|tests|bench|scripts|docs|migrations|\.ci)/[\w./-]+|app\.py|requirements(?:-dev)?\.txt)`")


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))])
def test_docs_name_only_files_that_exist(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    generated = ("bench/results/", "instance/", "test-artifacts/")  # written by the scripts, ignored by git
    missing = sorted({m for m in _DOC_PATH.findall(text)
                      if "*" not in m and not m.startswith(generated) and not (ROOT / m.rstrip("/")).exists()})
    assert not missing, f"{doc} names files that do not exist: {missing}"


def test_docstrings_cite_domain_notes_that_exist():
    assert (ROOT / "docs" / "DOMAIN.md").exists()
    offenders = [
        f"{_rel(path)}:{number}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![/\w])DOMAIN\.md", line)
    ]
    assert not offenders, "cite docs/DOMAIN.md, not DOMAIN.md: " + ", ".join(offenders)
