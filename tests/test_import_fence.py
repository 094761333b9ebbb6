"""The fence around the event core's tuned SQL (pyproject.toml, `[tool.importlinter]`).

`make test` runs `lint-imports`; these tests run the same contracts, on the project and on a
throw-away package that breaks them, so a contract that could never fail would show up here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def project_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def as_ini(config: dict) -> str:
    """The TOML `[tool.importlinter]` table in import-linter's INI form (same keys)."""

    def lines(section: str, values: dict) -> list[str]:
        out = [f"[{section}]"]
        for key, value in values.items():
            if isinstance(value, list):
                out += [f"{key} =", *(f"    {item}" for item in value)]
            else:
                out.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
        return out

    contracts = config.pop("contracts")
    text = lines("importlinter", config)
    for index, contract in enumerate(contracts):
        text += ["", *lines(f"importlinter:contract:{index}", contract)]
    return "\n".join(text) + "\n"


def lint_imports(config: dict, folder: Path) -> subprocess.CompletedProcess:
    """Run lint-imports with `config` (written to `folder`, also put on the import path)."""
    config_file = folder / "importlinter.ini"
    config_file.write_text(as_ini(config))
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", str(config_file)],
        cwd=ROOT,
        env={"PYTHONPATH": f"{folder}:{ROOT}", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )


def violating_package(folder: Path, module: str, imports: str) -> str:
    """A package `shop` whose `module` (a path without .py) has `imports`; its dotted name."""
    package = folder / "shop"
    (package / module).parent.mkdir(parents=True, exist_ok=True)
    for path in {package, (package / module).parent}:
        (path / "__init__.py").touch()
    (package / f"{module}.py").write_text(f"{imports}\n")
    return "shop." + module.replace("/", ".")


def test_the_project_keeps_the_fence(tmp_path):
    result = lint_imports(project_config(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imports"),
    [
        ("views", "from events.sqlrows import table"),
        ("selectors", "from events import sqlrows"),
        ("forms", "import events.replay"),
        ("templatetags/shop_tags", "from events.replay import read_all"),
    ],
)
def test_a_page_module_importing_the_tuned_sql_breaks_the_fence(tmp_path, module, imports):
    dotted = violating_package(tmp_path, module, imports)
    config = project_config()
    config["root_packages"] = [*config["root_packages"], "shop"]

    result = lint_imports(config, tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{dotted} -> events." in result.stdout
    assert "BROKEN" in result.stdout


@pytest.mark.parametrize("contract_type", ["protected", "forbidden"])
def test_each_contract_alone_catches_a_view_reading_rows_in_plain_sql(tmp_path, contract_type):
    violating_package(tmp_path, "views", "from events.sqlrows import table")
    config = project_config()
    config["root_packages"] = [*config["root_packages"], "shop"]
    config["contracts"] = [c for c in config["contracts"] if c["type"] == contract_type]

    result = lint_imports(config, tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "shop.views -> events.sqlrows" in result.stdout


def layers_contract(config: dict) -> dict:
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract


def floors_package(folder: Path, imports: dict[str, str]) -> dict:
    """The project's floors rebuilt as sub-packages of a throw-away `shop`, each module in
    `imports` (a path without .py) importing the apps named (space-separated); the project's
    layers contract on them (import-linter's `containers`)."""
    config = project_config()
    contract = layers_contract(config)
    package = folder / "shop"
    package.mkdir()
    (package / "__init__.py").touch()
    for floor in contract["layers"]:
        for app in floor.split(" | "):
            if not app.startswith("("):
                (package / app).mkdir()
                (package / app / "__init__.py").touch()
    for module, apps in imports.items():
        lines = [f"import shop.{app}" for app in apps.split()]
        (package / f"{module}.py").write_text("\n".join(lines) + "\n")
    config["root_packages"] = ["shop"]
    config["contracts"] = [contract | {"containers": ["shop"]}]
    return config


def test_the_floors_run_from_the_plumbing_to_the_pages():
    floors = [floor.split(" | ") for floor in layers_contract(project_config())["layers"]]
    assert floors[-6:] == [
        ["orders"],
        ["customers"],
        ["accounts"],
        ["projections", "(outbox)"],
        ["events"],
        ["common"],
    ]
    assert {"dashboard", "audit", "ops"} <= set(floors[0])


@pytest.mark.parametrize(
    ("module", "imports"),
    [
        ("common/pages", "accounts"),  # the plumbing imports no app of ours
        ("events/store", "accounts"),  # the log imports only the plumbing
        ("events/witness", "common projections"),
        ("projections/engine", "orders"),
        ("accounts/selectors", "orders"),
        ("orders/selectors", "dashboard"),
        ("dashboard/views", "audit"),  # neighbours on the top floor stay independent
    ],
)
def test_an_import_up_a_floor_breaks_the_layers_contract(tmp_path, module, imports):
    config = floors_package(tmp_path, {module: imports})

    result = lint_imports(config, tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"shop.{module.replace('/', '.')} -> shop.{imports.split()[-1]}" in result.stdout
    assert "BROKEN" in result.stdout


def test_imports_down_the_floors_keep_the_layers_contract(tmp_path):
    downward = {
        "dashboard/views": "orders accounts projections events common",
        "audit/views": "orders events common",
        "orders/selectors": "accounts projections events common",
        "accounts/models": "projections events common",
        "projections/engine": "events common",
        "events/store": "common",
    }
    config = floors_package(tmp_path, downward)

    result = lint_imports(config, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def two_way_imports(root: Path, packages: list[str]) -> list[tuple[str, str]]:
    """Pairs of modules of `packages` (below `root`) that import each other, an import inside a
    function included: a lazy import hides a circle, it does not remove it."""
    modules = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                parts = path.relative_to(root).with_suffix("").parts
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    imports: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                target = ".".join(filter(None, [base, node.module or ""]))
                wanted = [f"{target}.{alias.name}" for alias in node.names] + [target]
            elif isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            else:
                continue
            for module in wanted:
                while module and module not in modules:
                    module = module.rpartition(".")[0]
                if module and module != name:
                    imports.setdefault(name, set()).add(module)
    return sorted(
        (a, b)
        for a, targets in imports.items()
        for b in targets
        if a < b and a in imports.get(b, ())
    )


def test_no_two_files_of_the_project_import_each_other():
    packages = [
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"
    ]

    assert two_way_imports(ROOT, packages) == []


def test_a_lazy_import_back_counts_as_two_files_importing_each_other(tmp_path):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("from .rebuild import swap\n")
    (package / "rebuild.py").write_text("def swap():\n    from shop import engine\n")
    (package / "pages.py").write_text("from shop.engine import swap\n")

    assert two_way_imports(tmp_path, ["shop"]) == [("shop.engine", "shop.rebuild")]
