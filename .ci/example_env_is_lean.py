"""Run inside the `example` hatch env: it holds panther-core, panther-db, panther-openapi and their dependencies, and
nothing else
(no dev tools), as the README and hatch.toml say. Exits non-zero naming what else is installed."""

import importlib.metadata
import re
import sys


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


needed: set[str] = set()
pending = ["panther-core", "panther-db", "panther-openapi"]
while pending:
    name = normalized(pending.pop())
    if name in needed:
        continue
    needed.add(name)
    for requirement in importlib.metadata.requires(name) or []:
        if "extra ==" not in requirement:  # an optional dependency is not needed
            pending.append(re.match(r"[A-Za-z0-9._-]+", requirement).group())

installed = {normalized(dist.metadata["Name"]) for dist in importlib.metadata.distributions()}
more = sorted(installed - needed - {"pip", "setuptools", "wheel"})
if more:
    sys.exit(f"the example env holds more than panther-core, panther-db and panther-openapi need: {', '.join(more)}")
print(
    f"example env: {len(installed & needed)} distributions, all needed by panther-core, panther-db and panther-openapi"
)
