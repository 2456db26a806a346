"""The packaged templates compiled ahead (checker/render/ahead.py) render what their sources render,
byte for byte, for every example and format; a template whose module is stale is read from its source;
the key covers what shapes the compiled code. (tests/test_install.py checks that the wheel holds them.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from checker.render import ahead
from checker.render.render import FORMAT_TEMPLATES, environment, packaged_templates_dir
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


@pytest.fixture
def compiled_here(tmp_path, monkeypatch) -> Path:
    """The packaged templates compiled into a folder of this test, and used from there."""
    folder = tmp_path / "compiled"
    keys = ahead.write_compiled(environment(), packaged_templates_dir(), folder)
    monkeypatch.setattr(ahead, "COMPILED_DIR", folder)
    monkeypatch.setattr(ahead, "compiled_keys", lambda: keys)
    return folder


def test_every_packaged_template_is_compiled(compiled_here):
    sources = {p.relative_to(packaged_templates_dir()).as_posix() for p in packaged_templates_dir().rglob("*.j2")}
    env = environment()
    packaged = env.loader.loaders[-1]
    assert set(packaged.keys) == sources
    assert all(packaged.compiled_is_current(env, name) for name in sources)
    assert len(list(compiled_here.glob("tmpl_*.py"))) == len(sources)


def _report_outputs() -> list[bytes]:
    found = []
    for path in EXAMPLES:
        for args in [("check", path), *(("draft", path, "--format", fmt, "--kind", kind)
                                        for kind in ("determination", "information-request") for fmt in ("text", "markdown", "html"))]:
            result = run(*args)
            assert result.exit_code == 0, result.output
            found.append(result.stdout_bytes)
    for fmt in ("text", "junit"):
        found.append(run("regress", *EXAMPLES, "--format", fmt, "--jobs", "1").stdout_bytes)
    return found


def test_compiled_templates_render_the_bytes_their_sources_render(compiled_here, monkeypatch):
    loaded = []
    original = ahead.AheadLoader.load

    def recording(self, environment, name, globals=None):
        template = original(self, environment, name, globals)
        loaded.append(template.filename)
        return template

    monkeypatch.setattr(ahead.AheadLoader, "load", recording)
    from_modules = _report_outputs()
    assert loaded and all(Path(f).parent == compiled_here for f in loaded), "the compiled modules were not used"
    monkeypatch.setattr(ahead, "compiled_keys", dict)
    loaded.clear()
    assert _report_outputs() == from_modules
    assert loaded and not any(Path(f).parent == compiled_here for f in loaded)
    assert {kind for kind, _ in FORMAT_TEMPLATES} >= {"check", "draft", "information-request", "regress"}


def test_a_stale_module_is_never_used(compiled_here, tmp_path, monkeypatch):
    """A packaged template edited after compiling (an installed copy patched by hand) is read from
    its source: the output follows the edit; the others still come from their modules."""
    templates = tmp_path / "templates"
    shutil.copytree(packaged_templates_dir(), templates)
    check = templates / "check.txt.j2"
    check.write_text("edited\n" + check.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr("checker.render.render.packaged_templates_dir", lambda: templates)
    result = run("check", EXAMPLES[0])
    assert result.exit_code == 0 and result.stdout.startswith("edited\n"), result.output
    env = environment()
    assert not env.loader.loaders[-1].compiled_is_current(env, "check.txt.j2")
    assert env.loader.loaders[-1].compiled_is_current(env, "draft.txt.j2")


def test_without_compiled_modules_every_template_is_read_from_its_source(monkeypatch):
    monkeypatch.setattr(ahead, "compiled_keys", dict)
    env = environment()
    assert env.loader.loaders[-1].modules is None
    assert env.get_template("check.txt.j2").filename == str(packaged_templates_dir() / "check.txt.j2")


def test_the_key_covers_the_settings_that_shape_the_code():
    env = environment()
    source = (packaged_templates_dir() / "check.txt.j2").read_bytes()
    key = ahead.template_key(env, "check.txt.j2", source)
    assert ahead.template_key(env, "check.txt.j2", source + b" ") != key
    assert ahead.template_key(env.overlay(trim_blocks=False), "check.txt.j2", source) != key
    assert ahead.template_key(env, "check.html.j2", source) != key  # autoescaped by its name
    changed = env.overlay()
    changed.filters = {**env.filters, "num": jinja2.pass_context(lambda context, value: value)}
    assert ahead.template_key(changed, "check.txt.j2", source) != key
