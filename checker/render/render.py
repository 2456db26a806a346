"""Rendering reports with Jinja. All wording lives in templates/; an organisation can put its own
templates first with --templates DIR and still reach (and extend) the packaged ones as
'default/<name>'."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.base.errors import InputError
from checker.base.packaged import packaged_dir

if TYPE_CHECKING:
    import jinja2

FORMAT_TEMPLATES = {
    ("check", "text"): "check.txt.j2",
    ("draft", "text"): "draft.txt.j2",
    ("draft", "markdown"): "draft.md.j2",
    ("draft", "html"): "draft.html.j2",
    ("information-request", "text"): "information_request.txt.j2",
    ("information-request", "markdown"): "information_request.md.j2",
    ("information-request", "html"): "information_request.html.j2",
    ("regress", "text"): "regress.txt.j2",
    ("regress", "junit"): "regress.junit.xml.j2",
    ("regress-progress", "text"): "regress.progress.txt.j2",
    ("rules-list", "text"): "rules_list.txt.j2",
    ("scope", "text"): "scope.txt.j2",
    ("rules-coverage", "text"): "rules_coverage.txt.j2",
    ("rules-lint-reach", "text"): "rules_lint_reach.txt.j2",
    ("rules-docs", "markdown"): "rules_docs.md.j2",
    ("rules-docs", "html"): "rules_docs.html.j2",
    ("import", "text"): "import.txt.j2",
}


def packaged_templates_dir() -> Path:
    return packaged_dir("templates", "draft.txt.j2", "reinstall mtus-checker")


def _autoescape(name: str | None) -> bool:
    """HTML and XML output, and the Markdown drafts: Markdown viewers render raw HTML, so case text
    in them is escaped too (an entity shows as the character it stands for)."""
    return bool(name) and (name.endswith((".html.j2", ".xml.j2")) or name.rsplit("/", 1)[-1] in ("draft.md.j2", "information_request.md.j2"))


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    import jinja2  # here, not at the top: JSON output never pays for importing Jinja

    from checker.render.ahead import packaged_loader

    packaged = packaged_loader(packaged_templates_dir())
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        if not Path(user_dir).is_dir():
            raise InputError(str(user_dir), "--templates", "template directory not found", "pass a directory of .j2 templates")
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.PrefixLoader({"default": packaged}))
    loaders.append(packaged)
    env = _environment_class()(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=_bytecode_cache(),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = format_number
    env.filters["tojson_sorted"] = lambda v: json.dumps(v, sort_keys=True, default=str)
    env.filters["as_text"] = as_text
    env.filters["capfirst"] = lambda s: str(s)[:1].upper() + str(s)[1:]
    return env


# Every attribute and method a plain dict has: a name that is not one is never found by getattr on a dict.
_DICT_ATTRIBUTES = frozenset(dir(dict))


@functools.cache
def _environment_class() -> type[jinja2.Environment]:
    """jinja2.Environment, with `x.name` on a report's mappings looked up as a key at once. Jinja tries
    the attribute first: on a plain dict that raises and catches AttributeError for every `item.decision`
    a template reads (about a quarter of rendering a check). A name a dict has as an attribute
    (`items`, `get`) and any other object go through Jinja's own lookup, so the result is the same
    (tests/test_speed.py renders every example both ways)."""
    import jinja2

    class ReportEnvironment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except (TypeError, LookupError):
                    return self.undefined(obj=obj, name=attribute)
            return super().getattr(obj, attribute)

    return ReportEnvironment


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (compiling them is most of a single check's rendering
    time), under the rules of checker/load/cache.py: never read from a place another user could write."""
    from checker.load.cache import template_bytecode_cache

    return template_bytecode_cache()


def as_text(value: Any) -> str:
    """Strip 'safe' marking: a macro called from an autoescaped template returns its text marked
    safe even though the macro itself escaped nothing, so HTML templates pass every macro result
    through this filter to have it escaped."""
    return f"{value}"


def format_number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def render(kind: str, fmt: str, context: dict[str, Any], user_dir: Path | None = None) -> str:
    return "".join(render_stream(kind, fmt, context, user_dir))


def render_stream(kind: str, fmt: str, context: dict[str, Any], user_dir: Path | None = None) -> Iterator[str]:
    """The rendered text piece by piece, for outputs too long to hold (a regression over 100k items)."""
    import jinja2

    name = FORMAT_TEMPLATES[(kind, fmt)]
    try:
        yield from environment(user_dir).get_template(name).generate(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(exc.filename or name, f"line {exc.lineno}", f"template syntax error: {exc.message}", "fix the template") from None
    except jinja2.UndefinedError as exc:
        raise InputError(name, "", f"template uses an unknown value ({exc.message})", "use only the fields listed in the README") from None


def to_json(data: Any) -> str:
    """json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) and a line break,
    written by checker.base.jsontext when every mapping key is text (json's indenting encoder is pure Python)."""
    from checker.base.jsontext import NotPlainJson, indented_json

    try:
        return indented_json(data) + "\n"
    except NotPlainJson:
        return plain_json(data)


def plain_json(data: Any) -> str:
    """What to_json gives, by json.dumps."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
