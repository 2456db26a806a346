"""The standard dataclass decorator, with the methods it writes compiled ahead.

`dataclasses` writes the source of each method it adds to a class (__init__, __repr__, __eq__, a
frozen class's __setattr__, __delattr__ and __hash__) and compiles it when the class is created:
compiling those 280-odd functions was about half of what importing mtus-checker's own modules cost
a `mtus check`. While this module's `dataclass` runs, each source text dataclasses hands to `exec` is
looked up in a table of code objects compiled ahead from those very texts by the same Python build:
a text found runs its compiled code, any other is compiled as `exec` would compile it. The methods
are the ones the plain decorator makes (tests/test_startup.py compares every one); only the
compiling moves to build time.

The table (text -> code) is checker/base/dataclass_code.marshal, written by
`python -m checker.base.records` in a source checkout (`python -m checker.render.ahead` runs it too;
git ignores the file, as the compiled templates) and into the wheel at build time (setup.py). Without it, or when another Python build made it,
every class is built as before.

Classes built from a recipe. Even with every method's code at hand, `dataclasses` spends most of a
class's making in Python: reading each annotation to rule out ClassVar, InitVar and KW_ONLY, writing
the methods' source texts again to look them up, its checks. The table also holds, per class, the
texts its methods were made from, keyed by everything those texts depend on (the module, the class's
name, `frozen`, whether it has __post_init__, and per field its name, annotation and how its default
is given: _signature). A class whose key is found is built by _from_recipe: its fields, its methods
made from those texts' code with the values dataclasses would pass them, set in dataclasses' order,
with dataclasses' own helpers. Only classes of the plainest shape have a key: no base but object, no
option but `frozen`, none of the methods dataclasses writes defined by hand, a docstring, text
annotations that name no ClassVar, InitVar or KW_ONLY, defaults that dataclasses accepts; any other
class, or one whose key the table lacks, is built by the decorator as before. tests/test_startup.py
compares every class a check imports built both ways (its attributes in order, each method, each
field).
"""

from __future__ import annotations

import abc
import dataclasses
import marshal
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from types import CodeType, MemberDescriptorType
from typing import Any, TypeVar, dataclass_transform

TABLE = Path(__file__).resolve().parent / "dataclass_code.marshal"
_Class = TypeVar("_Class", bound=type)
_known: dict[str, CodeType] | None = None  # the table, read on first use; texts compiled here are added
_Recipe = dict[str, str]  # the name of each method dataclasses made -> the source text it was made from
_recipes: dict[tuple, _Recipe] | None = None  # per class signature (_signature), read with the table
_recording: dict[tuple, _Recipe] | None = None  # while the table is written: every class's recipe
# What dataclasses writes into a class (with the options a recipe allows), in the order it does.
_WRITTEN = ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__", "__hash__", "__match_args__")


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: _Class | None = None, /, **options: Any) -> Any:
    """dataclasses.dataclass(cls, **options), its generated methods' code taken from the table."""

    def build(plain: _Class) -> _Class:
        signature = _signature(plain, options)
        recipe = _recipe_for(signature) if signature is not None and _recording is None else None
        if recipe is not None:
            return _from_recipe(plain, recipe, bool(options.get("frozen", False)))
        texts: list[str] = []
        vars(dataclasses)["exec"] = lambda source, *args: _exec_compiled(source, *args, made=texts)
        try:
            made = dataclasses.dataclass(plain, **options)
        finally:
            vars(dataclasses).pop("exec", None)
        if _recording is not None and signature is not None:
            _recording[signature] = {_method_name(text): text for text in texts}
        return made

    return build if cls is None else build(cls)


def _signature(cls: type, options: dict[str, Any]) -> tuple | None:
    """Everything the methods dataclasses writes for `cls` depend on, or None when the class is not of
    the plain shape a recipe builds (any doubt: None, and the decorator builds it)."""
    namespace = cls.__dict__
    module = sys.modules.get(cls.__module__)
    if set(options) - {"frozen"} or cls.__bases__ != (object,) or module is None or not namespace.get("__doc__"):
        return None
    if any(name in namespace for name in _WRITTEN):
        return None
    annotations = namespace.get("__annotations__", {})
    fields = []
    for name, annotation in annotations.items():
        default = getattr(cls, name, dataclasses.MISSING)
        given = _how_given(default)
        if not isinstance(annotation, str) or given is None or _names_a_pseudo_field(annotation, module.__dict__):
            return None
        fields.append((name, annotation, *given))
    if any(isinstance(value, dataclasses.Field) and name not in annotations for name, value in namespace.items()):
        return None
    return (cls.__module__, cls.__qualname__, bool(options.get("frozen", False)), hasattr(cls, "__post_init__"), tuple(fields))


def _how_given(default: Any) -> tuple | None:
    """How a field's default is given, as far as the methods' texts depend on it; None for a default
    dataclasses refuses (a mutable one) or treats apart (a slot)."""
    if default is dataclasses.MISSING:
        return ("none",)
    if isinstance(default, MemberDescriptorType):
        return None
    if not isinstance(default, dataclasses.Field):
        return None if default.__class__.__hash__ is None else ("value",)
    if default.default is not dataclasses.MISSING and default.default.__class__.__hash__ is None:
        return None
    kw_only = None if default.kw_only is dataclasses.MISSING else bool(default.kw_only)
    return ("field", default.default is dataclasses.MISSING, default.default_factory is dataclasses.MISSING,
            bool(default.init), bool(default.repr), default.hash, bool(default.compare), kw_only)


def _names_a_pseudo_field(annotation: str, namespace: dict[str, Any]) -> bool:
    """Whether the annotation may name ClassVar, InitVar or KW_ONLY as dataclasses reads it (a name of
    the class's module, or an attribute of typing or dataclasses named through it): then not a field."""
    match = dataclasses._MODULE_IDENTIFIER_RE.match(annotation)  # type: ignore[attr-defined]
    if not match:
        return False
    if match.group(1):
        return namespace.get(match.group(1)) in (typing, dataclasses)
    named = namespace.get(match.group(2))
    return (named is typing.ClassVar or (type(named) is typing._GenericAlias and named.__origin__ is typing.ClassVar)  # type: ignore[attr-defined]
            or named is dataclasses.InitVar or type(named) is dataclasses.InitVar or named is dataclasses.KW_ONLY)


def _method_name(text: str) -> str:
    """The method a text of dataclasses' defines: 'def __create_fn__(...):\n def NAME(...'."""
    return text.split("\n", 2)[1].split("(", 1)[0].removeprefix(" def ")


def _recipe_for(signature: tuple) -> _Recipe | None:
    """The recipe for a class signature, when the table has it and the code of each of its texts."""
    _table()
    recipe = (_recipes or {}).get(signature)
    known = _known or {}
    return recipe if recipe is not None and all(text in known for text in recipe.values()) else None


def _from_recipe(cls: _Class, recipe: _Recipe, frozen: bool) -> _Class:
    """What dataclasses.dataclass(cls, frozen=frozen) makes of a class of the plain shape (_signature),
    its methods from the recipe's texts: the same steps, in the same order (dataclasses._process_class)."""
    module_globals = sys.modules[cls.__module__].__dict__
    cls.__dataclass_params__ = dataclasses._DataclassParams(True, True, True, False, False, frozen)  # type: ignore[attr-defined]
    fields = {}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        fields[name] = _field(cls, name, annotation)
    for field in fields.values():
        if isinstance(getattr(cls, field.name, None), dataclasses.Field):
            if field.default is dataclasses.MISSING:
                delattr(cls, field.name)
            else:
                setattr(cls, field.name, field.default)
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    listed = list(fields.values())
    std_init, _ = dataclasses._fields_in_init_order(listed)  # type: ignore[attr-defined]
    made = {name: _made(text, _values(text, cls, fields), module_globals) for name, text in recipe.items()}
    for name in ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__"):
        if name in made:
            method = dataclasses._recursive_repr(made[name]) if name == "__repr__" else made[name]  # type: ignore[attr-defined]
            dataclasses._set_new_attribute(cls, name, method)  # type: ignore[attr-defined]
    cls.__hash__ = dataclasses._set_qualname(cls, made["__hash__"]) if frozen else None  # type: ignore[attr-defined, assignment]
    dataclasses._set_new_attribute(cls, "__match_args__", tuple(f.name for f in std_init))  # type: ignore[attr-defined]
    abc.update_abstractmethods(cls)
    return cls


def _field(cls: type, name: str, annotation: str) -> dataclasses.Field:
    """dataclasses._get_field for a field of a plain-shaped class (no ClassVar, InitVar or KW_ONLY)."""
    default = getattr(cls, name, dataclasses.MISSING)
    field = default if isinstance(default, dataclasses.Field) else dataclasses.field(default=default)
    field.name = name
    field.type = annotation
    field._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
    if field.kw_only is dataclasses.MISSING:
        field.kw_only = False
    return field


def _values(text: str, cls: type, fields: dict[str, dataclasses.Field]) -> dict[str, Any]:
    """The values dataclasses passes the text's __create_fn__, by their names in its first line."""
    names = text.split("\n", 1)[0].removeprefix("def __create_fn__(").removesuffix("):")
    values = {}
    for name in filter(None, names.split(", ")):
        if name.startswith("_type_"):
            values[name] = fields[name.removeprefix("_type_")].type
        elif name.startswith("_dflt_"):
            field = fields[name.removeprefix("_dflt_")]
            values[name] = field.default_factory if field.default_factory is not dataclasses.MISSING else field.default
        else:
            values[name] = _CONSTANTS[name] if name != "cls" else cls
    return values


_CONSTANTS: dict[str, Any] = {
    "MISSING": dataclasses.MISSING, "_HAS_DEFAULT_FACTORY": dataclasses._HAS_DEFAULT_FACTORY,  # type: ignore[attr-defined]
    "__dataclass_builtins_object__": object, "_return_type": None, "FrozenInstanceError": dataclasses.FrozenInstanceError,
}


def _made(text: str, values: dict[str, Any], module_globals: dict[str, Any]) -> Any:
    """The function dataclasses._create_fn makes from the text, with the text's compiled code."""
    namespace: dict[str, Any] = {}
    exec(_table()[text], module_globals, namespace)  # noqa: S102 - dataclasses' own generated source, compiled ahead
    return namespace["__create_fn__"](**values)


def _exec_compiled(source: str, globals: dict[str, Any] | None = None, locals: dict[str, Any] | None = None, made: list[str] | None = None) -> None:
    """exec(source, globals, locals), as called from dataclasses (which has no __future__ imports,
    so its exec compiles with no inherited flags); `made` collects the texts."""
    if made is not None:
        made.append(source)
    known = _table()
    code = known.get(source)
    if code is None:
        code = known[source] = compile(source, "<string>", "exec", dont_inherit=True)
    exec(code, globals, locals)  # noqa: S102 - dataclasses' own generated source, compiled as its exec would


def _table() -> dict[str, CodeType]:
    global _known, _recipes
    if _known is None:
        _known, _recipes = read_tables(TABLE)
    return _known


def _stamp() -> str:
    """What the compiled code depends on besides the text: the Python build and its -O level."""
    return f"{sys.version}\0{sys.implementation.cache_tag}\0{sys.flags.optimize}"


def read_table(path: Path) -> dict[str, CodeType]:
    """The table at path, or {} when there is none, it is damaged or another Python build made it."""
    return read_tables(path)[0]


def read_tables(path: Path) -> tuple[dict[str, CodeType], dict[tuple, _Recipe]]:
    """The table at path and its class recipes; both empty when there is none, it is damaged or
    another Python build made it (recipes alone are empty in a table written without them)."""
    try:
        stamp, table, *rest = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}, {}
    valid = stamp == _stamp() and isinstance(table, dict) and all(isinstance(code, CodeType) for code in table.values())
    if not valid:
        return {}, {}
    recipes = rest[0] if len(rest) == 1 and isinstance(rest[0], dict) else {}
    good = all(isinstance(key, tuple) and isinstance(r, dict) and all(isinstance(t, str) for t in r.values()) for key, r in recipes.items())
    return table, recipes if good else {}


def write_table(path: Path, modules: Callable[[], None]) -> int:
    """Build every class `modules()` imports from source and write their texts' code, and the recipes
    of the classes of the plain shape, to path; the count of texts."""
    global _known, _recipes, _recording
    _known, _recording = {}, {}
    try:
        modules()
        recipes = _recording
    finally:
        _recording = None
    path.write_bytes(marshal.dumps((_stamp(), _known, recipes)))
    _recipes = recipes
    return len(_known)


def _import_the_package() -> None:
    """Every module of checker/ (one that needs an optional library that is missing is left out)."""
    import importlib
    import pkgutil

    import checker

    for module in pkgutil.walk_packages(checker.__path__, "checker."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue


def main() -> None:
    """Write the table into checker/base/, or (build time) to the path named."""
    import importlib

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE
    records = importlib.import_module("checker.base.records")  # the module the package's classes use, not __main__
    count = records.write_table(target, _import_the_package)
    print(f"compiled {count} dataclass methods into {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
