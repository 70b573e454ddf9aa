"""Where the evaluation, training and benchmark data lives (never inside the repository).

``ECOMCMS_SHARED_DATA`` names the folder; by default it is ``../shared/data`` beside the
checkout. Evaluation commands, slow tests and benches take their paths from here.
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    return Path(os.environ.get("ECOMCMS_SHARED_DATA") or REPOSITORY.parent / "shared" / "data").resolve()


def shared_data_path(*parts: str) -> Path:
    """A path inside the shared data folder (it may not exist: callers say so clearly)."""
    return shared_data_dir().joinpath(*parts)
