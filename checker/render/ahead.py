"""The packaged templates compiled ahead into Python modules (Jinja's `Environment.compile_templates`,
loaded by its `ModuleLoader`), so a run neither compiles a template nor reads a compiled one from the
cache: the modules come with the package, and Python's own bytecode cache covers them.

Building the wheel writes them into checker/render/compiled/ (setup.py); in a source checkout
`python -m checker.render.ahead` writes them there (git ignores them: generated code in the
repository would conflict at every template change). With them, keys.py holds KEYS: per template
name, a SHA-256 over the template's source, the Jinja version and every environment setting that
shapes the compiled code. A template without a module, or whose key no longer matches (its source
edited, another Jinja installed, a setting changed), is read from its source (and Jinja's bytecode
cache) as before: the compiled modules only ever save time. tests/test_render_ahead.py compares their
output with the source templates' byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import jinja2

COMPILED_DIR = Path(__file__).resolve().parent / "compiled"
_SETTINGS = (  # what Environment.compile reads besides the source (autoescape is asked per template name)
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string", "comment_start_string",
    "comment_end_string", "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks", "newline_sequence",
    "keep_trailing_newline", "optimized", "is_async",
)


def template_key(environment: jinja2.Environment, name: str, source: bytes) -> str:
    """What a compiled module was made from: the template's source, the Jinja version and the
    environment's settings, extensions, filters and tests (with how each is passed its arguments)."""
    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    sha = hashlib.sha256(f"{jinja2.__version__}\0{name}\0{autoescape}\0".encode())
    for setting in _SETTINGS:
        sha.update(f"{setting}={getattr(environment, setting)!r}\0".encode())
    sha.update(f"finalize={environment.finalize is not None}\0extensions={sorted(environment.extensions)}\0".encode())
    for kind, table in (("filter", environment.filters), ("test", environment.tests)):
        for entry in sorted(table):
            sha.update(f"{kind}:{entry}:{getattr(table[entry], 'jinja_pass_arg', None)}\0".encode())
    sha.update(b"\0" + source)
    return sha.hexdigest()


class AheadLoader(jinja2.BaseLoader):
    """The packaged templates: each from its compiled module when that was compiled from this very
    source with these settings, else from the source (and the bytecode cache) as Jinja loads it."""

    def __init__(self, source_dir: Path, keys: dict[str, str], compiled_dir: Path) -> None:
        self.source_dir = source_dir
        self.source = jinja2.FileSystemLoader(str(source_dir))
        self.keys = keys
        self.modules = jinja2.ModuleLoader(str(compiled_dir)) if keys else None

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        return self.source.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self.source.list_templates()

    def load(self, environment: jinja2.Environment, name: str, globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        if self.modules is not None and self.compiled_is_current(environment, name):
            return self.modules.load(environment, name, globals)
        return self.source.load(environment, name, globals)

    def compiled_is_current(self, environment: jinja2.Environment, name: str) -> bool:
        expected = self.keys.get(name)
        if expected is None:
            return False
        try:
            source = (self.source_dir / name).read_bytes()
        except OSError:
            return False
        return template_key(environment, name, source) == expected


def compiled_keys() -> dict[str, str]:
    """The keys of the compiled modules, or {} when none were written (a source checkout)."""
    try:
        from checker.render.compiled.keys import KEYS
    except ImportError:
        return {}
    return KEYS


def packaged_loader(source_dir: Path) -> AheadLoader:
    return AheadLoader(source_dir, compiled_keys(), COMPILED_DIR)


def write_compiled(environment: jinja2.Environment, source_dir: Path, target: Path = COMPILED_DIR) -> dict[str, str]:
    """Compile every template under source_dir with this environment's settings into target (the
    folder's old modules replaced) and write the keys into keys.py; the keys."""
    import shutil
    import tempfile

    plain = environment.overlay(loader=jinja2.FileSystemLoader(str(source_dir)))
    names = plain.list_templates(filter_func=lambda name: name.endswith(".j2"))
    keys = {name: template_key(environment, name, (source_dir / name).read_bytes()) for name in names}
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        plain.compile_templates(work, filter_func=lambda name: name in keys, zip=None, ignore_errors=False)
        for old in target.glob("tmpl_*.py"):
            old.unlink()
        for made in sorted(Path(work).iterdir()):
            shutil.copyfile(made, target / made.name)
    (target / "keys.py").write_text(_keys_source(keys), encoding="utf-8")
    return keys


def _keys_source(keys: dict[str, str]) -> str:
    lines = [
        '"""Written by checker/render/ahead.py with the modules beside it: what each was compiled from."""',
        "",
        f"JINJA2_VERSION = {jinja2.__version__!r}",
        "KEYS = {",
        *(f"    {name!r}: {key!r}," for name, key in sorted(keys.items())),
        "}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Compile the packaged templates into checker/render/compiled/, or (build time) into the folder named.
    In a checkout (no folder named) the dataclass table is written too (checker/base/records.py, in a
    process of its own, which must import the classes afresh), and so is the table of compiled regular
    expressions (checker/base/patterns.py, likewise): one command prepares a checkout as the wheel is
    prepared."""
    from checker.render.render import environment, packaged_templates_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else COMPILED_DIR
    keys = write_compiled(environment(), packaged_templates_dir(), target)
    print(f"compiled {len(keys)} templates into {os.path.relpath(target)} (Jinja {jinja2.__version__})", file=sys.stderr)
    if len(sys.argv) <= 1:
        import subprocess

        subprocess.run([sys.executable, "-m", "checker.base.records"], check=True)
        subprocess.run([sys.executable, "-m", "checker.base.patterns"], check=True)


if __name__ == "__main__":
    main()
