"""Dependencies point down: the shared layers know no service, and no service reaches into
another's package. The composition roots (the CLI, the demo, the registry) may import all."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parent.parent / "services"
# The services that run, and the crisis centre's read side (status).
RUNNING = {
    "ingest",
    "resolver",
    "dispatcher",
    "leaders",
    "reservists",
    "responses",
    "status",
    "watch",
}
# What each layer may import of services/, beside itself (schemas/ is open to all). The
# Redis layout (state) is how services share Redis; the directory's importer is a tool; the
# directory read by place (places) and the CAP reader (cap) serve ingest, the resolver and
# the watch.
ALLOWED = {
    "common": set(),
    "texts": {"common", "cap"},
    "state": {"common"},
    "trust": {"common", "state"},
    "directory": {"common", "state"},
    "places": {"common", "state"},
    "cap": {"common"},
    **{name: {"common", "state", "texts", "trust", "places", "cap"} for name in RUNNING},
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
    assert violations({"responses": {"dispatcher"}, "common": {"state"}}) == [
        "common imports services.state",
        "responses imports services.dispatcher",
    ]


def hash_tagged_keys_built(path: Path) -> list[str]:
    """The f-strings of a module that build a Redis key with a hash tag (`name:{...}`)."""
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.JoinedStr)
        and any(
            isinstance(part, ast.Constant) and str(part.value).endswith(":{")
            for part in node.values
        )
    ]


def test_every_redis_key_is_built_by_the_redis_layout() -> None:
    """Keys built elsewhere would escape the layout's hash tags (one slot per crisis under
    Redis Cluster) and let a service read another's data behind its back."""
    outside = [
        found
        for path in SERVICES.rglob("*.py")
        if path.relative_to(SERVICES).parts[0] != "state"
        for found in hash_tagged_keys_built(path)
    ]
    assert outside == []
    layout = hash_tagged_keys_built(SERVICES / "state" / "keys.py")
    assert len(layout) > 10, "the check no longer sees the keys it looks for"
