"""No test module imports from another test module: what several of them share (a
factory, a page helper, a constant) lives in a conftest.py or a plain helper module
(tests/factories.py, tests/queries.py, tests/deploy.py ...), so that running, moving
or deleting one test module never depends on another."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def is_test_module(dotted):
    return dotted.split(".")[-1].startswith("test_")


def is_module(dotted):
    return (ROOT / (dotted.replace(".", "/") + ".py")).is_file()


def imported_test_modules(tree):
    """The test modules an import of `tree` names, wherever it sits (a function's
    body too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if is_test_module(alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if is_test_module(module):
                yield module
            else:  # from tests.views import test_week_queries (a module, not a name)
                yield from (f"{module}.{alias.name}" for alias in node.names
                            if is_test_module(alias.name)
                            and is_module(f"{module}.{alias.name}"))


def test_no_test_module_imports_from_another():
    found = [f"{path.relative_to(ROOT)}: {module}"
             for path in sorted(TESTS.rglob("*.py"))
             for module in imported_test_modules(
                 ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert not found, ("imports from test modules (shared code belongs in a conftest.py "
                       "or a helper module):\n" + "\n".join(found))
