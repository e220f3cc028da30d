"""The model knows nothing of the UI: no Textual import and no printing outside tui/ and cli.py."""
import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "heaptui"


def python_files():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_only_tui_imports_textual():
    offenders = [str(p.relative_to(PACKAGE)) for p in python_files()
                 if "tui" not in p.relative_to(PACKAGE).parts
                 and any(m == "textual" or m.startswith("textual.") or m == "rich" or m.startswith("rich.")
                         for m in imported_modules(p))]
    assert offenders == []


def test_model_never_prints():
    offenders = []
    for layer in ("snapshot", "inspector"):
        for p in (PACKAGE / layer).rglob("*.py") if (PACKAGE / layer).exists() else []:
            tree = ast.parse(p.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                    offenders.append(f"{p.relative_to(PACKAGE)}:{node.lineno}")
                if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr") and \
                        getattr(node.value, "id", None) == "sys":
                    offenders.append(f"{p.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_importing_the_model_and_cli_does_not_load_textual():
    code = ("import sys, heaptui.snapshot, heaptui.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
