"""The `mtus` command: parse, call the library, print. Exit 0 ran as asked, 1 regressions or lint
defects, 2 bad input or usage."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from checker.errors import EngineError, InputError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def _fail(message: str) -> None:
    click.echo(f"mtus: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and exit code 2: never a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a full disk under the output shows here, not as a traceback at exit
        except InputError as exc:
            _fail(exc.one_line())
        except EngineError as exc:
            _fail(f"{_input_named(kwargs) or 'engine'}: the rule engine failed ({exc}); fix: run 'mtus rules lint' and correct the rule named")
        except RecursionError:
            _fail("input nested too deeply; flatten the file")
        except MemoryError:
            _fail("input too large to process; split it")
        except KeyboardInterrupt:
            _interrupted("")
        except OSError as exc:  # a full disk, a vanished folder: the output or a temporary file could not be written
            _discard_pending_output()
            _fail(_os_error_line(exc, _input_named(kwargs)))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _interrupted(how_far: str) -> None:
    click.echo(f"mtus: interrupted{' ' + how_far if how_far else ''}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _os_error_line(exc: OSError, named: str) -> str:
    import errno
    import tempfile

    where = exc.filename or named or "output"
    problem = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = f"free disk space (temporary files go to {tempfile.gettempdir()}, or set TMPDIR) and run again"
        return f"{where}: no room to write the output or a temporary file ({problem}); fix: {fix}"
    return f"{where}: cannot read or write a file ({problem}); fix: check that the files and folders named exist and can be read and written"


def _discard_pending_output() -> None:
    """Output that could not be written is dropped, so that Python's flush at exit does not fail again
    with a second message."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def _input_named(kwargs: dict[str, Any]) -> str:
    """The file a command was given (for an error line that must name it), or ''."""
    return next((str(v) for k, v in sorted(kwargs.items()) if isinstance(v, Path) and k not in ("rules_dir", "templates_dir", "out")), "")


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError("command line", "--as-of", f"not a date: {value!r}", "write YYYY-MM-DD") from None


rules_option = click.option(
    "--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Rules directory (default: the packaged rules)."
)
as_of_option = click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Date whose guideline editions apply (default: the request date).")
templates_option = click.option(
    "--templates",
    "templates_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Your template folder, searched before the packaged one (reachable as default/NAME).",
)
engine_option = click.option("--engine", type=click.Choice(["durable", "reference"]), default="durable", show_default=True, help="Rule evaluator.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mtus-checker")
def main() -> None:
    """Check treatment requests against MTUS rules and draft IMR-style rationales."""


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@rules_option
@as_of_option
@templates_option
@engine_option
@guarded
def check(case: Path, fmt: str, rules_dir: Path | None, as_of: str | None, templates_dir: Path | None, engine: str) -> None:
    """Per requested item: the decision and every criterion with its status and citation."""
    from checker.api import Checker
    from checker.render import render, to_json

    result = Checker(rules_dir, engine, scope="on_demand").check(case, _as_of(as_of))
    if fmt == "json":
        click.echo(to_json(result.report), nl=False)
    else:
        click.echo(render("check", "text", {"report": result.report}, templates_dir), nl=False)


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text", show_default=True)
@rules_option
@as_of_option
@templates_option
@engine_option
@guarded
def draft(case: Path, fmt: str, rules_dir: Path | None, as_of: str | None, templates_dir: Path | None, engine: str) -> None:
    """A draft determination in the IMR letter's shape, citing the guideline pages that decided."""
    from checker.api import Checker
    from checker.render import render

    result = Checker(rules_dir, engine, scope="on_demand").check(case, _as_of(as_of))
    click.echo(render("draft", fmt, {"report": result.report}, templates_dir), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of cores).")
@click.option(
    "--divergences", "divergence_paths", multiple=True, type=click.Path(path_type=Path),
    help="A list of known divergences (file or folder), for case files that are regenerated, such as imported letters.",
)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file, whole or not at all (default: standard output).")
@rules_option
@templates_option
@engine_option
@guarded
def regress(
    paths: tuple[Path, ...], fmt: str, jobs: int | None, divergence_paths: tuple[Path, ...], out: Path | None,
    rules_dir: Path | None, templates_dir: Path | None, engine: str,
) -> None:
    """Run every case file with an expected: block; exit 1 on any disagreement or when none ran."""
    from checker.api import Checker
    from checker.progress import ProgressLine
    from checker.regress import Interrupted, default_jobs, load_divergences, regress, write_report, write_report_file
    from checker.render import render

    divergences = load_divergences(list(divergence_paths))
    progress = ProgressLine(sys.stderr, lambda values: render("regress-progress", "text", values, templates_dir))
    try:
        run = regress(Checker(rules_dir, engine), list(paths), jobs or default_jobs(), progress, json_report=fmt == "json", divergences=divergences)
    except Interrupted as exc:
        progress.finish()
        _interrupted(f"after {exc.done} of {exc.total} case files ({_counts(exc.tally)}); no report written")
    progress.finish()
    try:
        if out is not None:
            write_report_file(run, fmt, out, templates_dir)
        else:
            write_report(run, fmt, lambda text: click.echo(text, nl=False), templates_dir)
        summary = run.summary(with_results=False)
    except KeyboardInterrupt:
        _interrupted(f"while writing the report ({_counts(run.tally)}); {'no report written' if out else 'the report is incomplete'}")
    finally:
        run.close()
    sys.exit(EXIT_BAD_INPUT if summary["errors"] else (EXIT_OK if summary["passed"] else EXIT_FINDINGS))


def _counts(tally: Any) -> str:
    return (f"{tally.items} items: {tally.agree} agree, {tally.disagree} disagree, {tally.count('no_rule')} without a rule; "
            f"{len(tally.errors)} case files with errors")


@main.command("import")
@click.argument("letters", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder for the case files (created if missing).")
@rules_option
@templates_option
@guarded
def import_letters(letters: tuple[Path, ...], out_dir: Path, rules_dir: Path | None, templates_dir: Path | None) -> None:
    """IMR letters (PDF or text) to case files, the letter's decisions and citations as expected:.
    Exit 2 when a letter cannot be read (the others are still written)."""
    from checker.importer import Importer
    from checker.render import render
    from checker.rules import default_rules_dir, load_ruleset

    run = Importer(load_ruleset(rules_dir or default_rules_dir())).run(list(letters), out_dir)
    click.echo(render("import", "text", {"run": run, "out": str(out_dir)}, templates_dir), nl=False)
    for error in run.errors:
        click.echo(f"mtus: error: {error}", err=True)
    sys.exit(EXIT_BAD_INPUT if run.errors else EXIT_OK)


@main.command()
@click.argument("text", type=click.Path(path_type=Path))
@click.option("--request", "requests", multiple=True, metavar="TEXT", help='A requested item as written ("Soma 350 mg BID #60"); repeat for each.')
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="The request date: reads two-digit years and is written as dates.request.")
@click.option("--case", "case_id", default=None, help="Case id for the draft (default: the text file's name).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@rules_option
@guarded
def extract(text: Path, requests: tuple[str, ...], as_of: str | None, case_id: str | None, fmt: str, rules_dir: Path | None) -> None:
    """Draft a case file from clinical text: each fact with its origin, sentence, span and cue."""
    from checker.case import MAX_REQUESTS
    from checker.extract import draft_case, dump_case, read_clinical_text
    from checker.fields import require_at_most
    from checker.render import to_json
    from checker.rules import default_rules_dir, load_ruleset

    require_at_most(list(requests), MAX_REQUESTS, "command line", "--request", "requested items", "draft the case in parts")
    for i, request in enumerate(requests):
        if not request.strip():
            raise InputError("command line", f"--request #{i + 1}", "empty request", 'give the requested item as written, e.g. --request "Soma 350 mg BID #60"')
    ruleset = load_ruleset(rules_dir or default_rules_dir())
    name = case_id or (Path(text).stem if str(text) != "-" else "draft")
    case = draft_case(read_clinical_text(text), list(requests), ruleset, _as_of(as_of), name, "" if str(text) == "-" else str(text))
    click.echo(to_json(case) if fmt == "json" else dump_case(case), nl=False)


@main.group()
def rules() -> None:
    """Inspect and lint the rule set."""


@rules.command("lint")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@guarded
def rules_lint(directory: Path | None) -> None:
    """Fail on unknown facts, missing citations, reused ids and overlapping editions."""
    from checker.compiler import compile_program
    from checker.lint import lint
    from checker.rules import default_rules_dir, load_ruleset

    ruleset = load_ruleset(directory or default_rules_dir())
    defects = lint(ruleset)
    for defect in defects:
        click.echo(defect.one_line())
    if defects:
        click.echo(f"{len(defects)} defect(s) in {ruleset.directory}", err=True)
        sys.exit(EXIT_FINDINGS)
    program = compile_program(ruleset)
    criteria = len(ruleset.criteria())
    click.echo(f"ok: {len(ruleset.topics)} topics, {criteria} criteria, {len(program.probes)} engine rules, rules {ruleset.stamp}")


@rules.command("list")
@rules_option
@templates_option
@guarded
def rules_list(rules_dir: Path | None, templates_dir: Path | None) -> None:
    """Topics, their editions and what each criterion cites."""
    from checker.render import render
    from checker.rules import default_rules_dir, load_ruleset
    from checker.rules_catalogue import catalogue

    ruleset = load_ruleset(rules_dir or default_rules_dir())
    click.echo(render("rules-list", "text", {"catalogue": catalogue(ruleset)}, templates_dir), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--min", "minimum", type=click.FloatRange(0, 100), default=None, help="Exit 1 when fewer than this percent of items have a rule.")
@rules_option
@templates_option
@guarded
def scope(paths: tuple[Path, ...], fmt: str, minimum: float | None, rules_dir: Path | None, templates_dir: Path | None) -> None:
    """How many requested items in these case files have an applicable rule, and which do not."""
    from checker.render import render, to_json
    from checker.rules import default_rules_dir, load_ruleset
    from checker.scope import scope_report

    summary = scope_report(load_ruleset(rules_dir or default_rules_dir()), list(paths))
    if fmt == "json":
        click.echo(to_json(summary), nl=False)
    else:
        click.echo(render("scope", "text", {"summary": summary}, templates_dir), nl=False)
    if summary["errors"] or not summary["requested"]:
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(EXIT_FINDINGS if minimum is not None and summary["percent"] < minimum else EXIT_OK)


@rules.command("coverage")
@rules_option
@click.option("--tests", "tests_dir", type=click.Path(path_type=Path), default=None,
              help="Rule fixture directory (default: tests/rules beside the rules directory, in a source checkout).")
@click.option("--min", "minimum", default="100", show_default=True, metavar="PERCENT", help="Exit 1 when coverage is below this percentage.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@templates_option
@guarded
def rules_coverage(rules_dir: Path | None, tests_dir: Path | None, minimum: str, fmt: str, templates_dir: Path | None) -> None:
    """Run the rule fixtures and report, per criterion, whether they showed it met, not met and not documented."""
    from checker.coverage import parse_minimum, rules_coverage
    from checker.render import render, to_json

    summary = rules_coverage(rules_dir, tests_dir, parse_minimum(minimum))
    if fmt == "json":
        click.echo(to_json(summary), nl=False)
    else:
        click.echo(render("rules-coverage", "text", {"summary": summary}, templates_dir), nl=False)
    sys.exit(EXIT_BAD_INPUT if summary["fixtures"]["error"] else (EXIT_OK if summary["passed"] else EXIT_FINDINGS))


@rules.command("docs")
@rules_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Write the reference to this file (default: standard output).")
@templates_option
@guarded
def rules_docs(rules_dir: Path | None, fmt: str, out: Path | None, templates_dir: Path | None) -> None:
    """A readable reference of every topic, edition, criterion, limit and citation."""
    from checker.docs import docs_data, write_docs
    from checker.render import render
    from checker.rules import default_rules_dir, load_ruleset

    text = render("rules-docs", fmt, {"docs": docs_data(load_ruleset(rules_dir or default_rules_dir()))}, templates_dir)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_docs(text, out)


if __name__ == "__main__":  # pragma: no cover
    main()
