"""Package names loaded on first use (PEP 562), so importing one submodule does not load them all.

``support.intent`` and ``recommender.engine`` re-export what their submodules define; importing any of
them at start-up loaded scikit-learn, scipy and implicit into every process (docs/performance.md,
"Memory per generation process").
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def names_on_first_use(package: str, where: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps each name to its submodule."""

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
