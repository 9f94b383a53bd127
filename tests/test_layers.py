"""Dependencies point down: the shared layers know no service, and no service reaches into
another's package. The composition roots (the CLI, the demo, the registry) may import all."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parent.parent / "services"
RUNNING = {"ingest", "resolver", "dispatcher", "leaders", "reservists", "responses"}
SHARED = {"common", "texts", "directory", "trust"}
# What each layer may import of services/, beside itself (schemas/ is open to all).
ALLOWED = {
    **{name: SHARED for name in RUNNING},
    **{name: SHARED - {name} for name in SHARED},
}


def imported_packages(path: Path) -> set[str]:
    """The services/ packages (or top-level modules) a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                found.add(parts[1])
    return found


def violations(imports: dict[str, set[str]]) -> list[str]:
    """`imports`: each package's imported packages; what breaks the layering."""
    return [
        f"{package} imports services.{other}"
        for package, others in sorted(imports.items())
        if package in ALLOWED
        for other in sorted(others - ALLOWED[package] - {package})
    ]


def test_no_service_imports_another_and_the_shared_layers_know_none() -> None:
    imports: dict[str, set[str]] = {}
    for path in SERVICES.rglob("*.py"):
        package = path.relative_to(SERVICES).parts[0].removesuffix(".py")
        imports.setdefault(package, set()).update(imported_packages(path))
    assert set(ALLOWED) <= set(imports), "a layer named here no longer exists"
    assert violations(imports) == []
    # The check itself catches a service reaching into another, and shared code into one.
    assert violations({"responses": {"dispatcher"}, "common": {"deploy"}}) == [
        "common imports services.deploy",
        "responses imports services.dispatcher",
    ]
