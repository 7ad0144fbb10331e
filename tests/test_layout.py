"""The layout is the architecture: subpackages stacked in layers, nothing importing upwards, no import cycle, no
Streamlit in the library and no Streamlit private API anywhere, files and functions short enough to read.

The import graph is read from the source (every ``import`` statement, those inside functions too), so a lazy
import that went upwards or closed a cycle fails here as surely as a top-level one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "mechsparse"
PAGES = ROOT / "views"

# Bottom to top: a subpackage may import its own modules and those of the layers below it, never above or beside.
LAYERS = [
    ("files",),
    ("theory",),
    ("data",),
    ("learning",),
    ("figures",),
    ("runs",),
    ("reproduce", "teaching"),
    ("cli",),
]
RANK = {package: rank for rank, names in enumerate(LAYERS) for package in names}
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
LONG_REASON = "Long because"  # a longer function says why in its docstring, in these words


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _library_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(LIBRARY.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module this file imports from the library (``from mechsparse.x import y`` counts y when it is a
    module, else mechsparse.x)."""
    modules = _library_modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mechsparse")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("mechsparse"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else None


def test_every_module_sits_in_a_layered_subpackage():
    loose = [m for m in _library_modules() if m not in ("mechsparse", "mechsparse.__main__") and _package(m) is None]
    assert loose == []
    assert set(RANK) == {p.name for p in LIBRARY.iterdir() if (p / "__init__.py").exists()}


def test_nothing_imports_upwards_or_sideways():
    wrong = []
    for module, path in _library_modules().items():
        here = _package(module)
        for target in _imports(path):
            there = _package(target)
            if here is None or there is None or there == here:
                continue
            if RANK[there] >= RANK[here]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycle_between_modules():
    graph = {m: {t for t in _imports(p) if t != m and t in _library_modules()} for m, p in _library_modules().items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_subpackage_says_what_it_owns_and_may_import():
    for init in LIBRARY.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(doc.split()) >= 25, f"{init.relative_to(ROOT)}: a one-paragraph docstring saying what it owns"
        assert "import" in doc, f"{init.relative_to(ROOT)}: the docstring says what the package may import"


def _sources() -> list[Path]:
    return sorted([*LIBRARY.rglob("*.py"), *PAGES.glob("*.py"), ROOT / "app.py", ROOT / "app_state.py"])


def test_the_library_never_imports_streamlit():
    offenders = [p for p in LIBRARY.rglob("*.py") if re.search(r"^\s*(import|from) streamlit", p.read_text(), re.M)]
    assert offenders == []


def test_no_streamlit_private_api_and_no_legacy_pages_folder():
    private = re.compile(
        r"streamlit\.(runtime|web|elements|proto|delta_generator)|st\._|from streamlit\.[a-z_.]+ import"
    )
    offenders = [str(p.relative_to(ROOT)) for p in _sources() if private.search(p.read_text())]
    assert offenders == []
    assert not (ROOT / "pages").exists(), "a folder named pages/ turns on Streamlit's legacy auto-discovery"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_files_and_functions_stay_readable(path: Path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_FILE_LINES, f"{path.name}: over {MAX_FILE_LINES} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                assert LONG_REASON in (ast.get_docstring(node) or ""), f"{path.name}:{node.name} is {length} lines"


DOC_REFERENCE = re.compile(r"\b(DESIGN|THEORY|PAPER_RESULTS|REFERENCE|STYLE)\.md\b|shared/")


def test_every_document_the_code_cites_is_in_the_repository():
    """Citations name docs/<file>.md; the background files outside the repository are never cited."""
    cited_from = [*_sources(), *(ROOT / "tests").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    cited_from = [p for p in cited_from if p != Path(__file__).resolve()]
    stale = [str(p.relative_to(ROOT)) for p in cited_from if DOC_REFERENCE.search(p.read_text())]
    assert stale == []
    for path in cited_from:
        for cited in re.findall(r"docs/[\w./-]+\.md", path.read_text()):
            assert (ROOT / cited).exists(), f"{path.relative_to(ROOT)} cites {cited}, which is not in the repository"
