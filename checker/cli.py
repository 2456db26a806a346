"""The `mtus` command: parse, call the library, print. Exit 0 ran as asked, 1 regressions or lint
defects, 2 bad input or usage."""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from checker.base.errors import EngineError, InputError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
# One path type for every path option and argument: each click.Path made asks gettext for its name,
# which looks for translation files on disk (about 0.1 ms a time at every start).
PATH = click.Path(path_type=Path)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader closed the pipe


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
        except BrokenPipeError:  # the reader stopped early (`mtus rules lint | head -1`): stop quietly, as Unix tools do
            _discard_pending_output()
            sys.exit(EXIT_BROKEN_PIPE)
        except OSError as exc:  # a full disk, a vanished folder: the output or a temporary file could not be written
            _discard_pending_output()
            _fail(_os_error_line(exc, _input_named(kwargs)))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def one_case(func: Callable[..., Any]) -> Callable[..., Any]:
    """A command that checks one case (put above `guarded`, so its output is written and flushed first).

    It runs without Python's cycle collector, which otherwise walks the start-up's growing heap (the
    modules, the unpickled rules) dozens of times for garbage it seldom finds; a case is bounded in size,
    and the collector is on again afterwards. Run as the `mtus` process itself (see CommandLine), it then
    ends the process at once, as a normal exit would after its atexit handlers, without tearing the
    interpreter down object by object (about 20-25 ms of a check's CPU, more than the check's own
    work after start-up). The output and exit code are the same (tests/test_speed.py). When it ends the
    process so, the collector stays paused to the end: switched on again, it would at once walk every
    object the check made (about 4 ms) for a heap the exit then drops whole."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_on = gc.isenabled()
        gc.disable()
        try:
            result = func(*args, **kwargs)
        except BaseException:
            if was_on:
                gc.enable()
            raise
        if _whole_process and _nothing_watching():
            _end_process(EXIT_OK)  # returns only when the output could not be flushed: a normal exit reports it
        if was_on:
            gc.enable()
        return result

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


_whole_process = False  # set by CommandLine.main when this process is the `mtus` command


def _nothing_watching() -> bool:
    """No tracer or profiler (coverage, cProfile) that reports when the interpreter exits, no prompt to
    come (python -i), and no other thread a normal exit would wait for."""
    threading = sys.modules.get("threading")
    watched = sys.gettrace() is not None or sys.getprofile() is not None or sys.flags.inspect
    return not watched and (threading is None or threading.active_count() == 1)


def _exit(code: int) -> None:
    """sys.exit(code); at once (_end_process) when this process is the `mtus` command and nothing watches."""
    if _whole_process and _nothing_watching():
        _end_process(code)
    sys.exit(code)


def _end_process(code: int) -> None:
    """Exit with `code` as the interpreter would (atexit handlers run, output flushed), minus the
    teardown; if the output cannot be flushed, return and let the normal exit report it."""
    import atexit
    import os

    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


class CommandLine(click.Group):
    """The `mtus` group. Called with no arguments in click's standalone mode (the console script and
    `python -m checker.cli`, which read sys.argv and end the process anyway), it lets a one-case command
    end the process at once (one_case); called with arguments (tests, a program using it) it never does."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        global _whole_process
        _whole_process = args is None and standalone_mode
        return super().main(args, prog_name, complete_var, standalone_mode, **extra)


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


def _ruleset(rules_dir: Path | None, rules_extra: tuple[Path, ...]) -> Any:
    """The rule set a command runs with: --rules (default: the packaged rules) and the site folders of --rules-extra."""
    from checker.load.ruleset import default_rules_dir, load_ruleset

    return load_ruleset(rules_dir or default_rules_dir(), rules_extra)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError("command line", "--as-of", f"not a date: {value!r}", "write YYYY-MM-DD") from None


rules_option = click.option(
    "--rules", "rules_dir", type=PATH, default=None, help="Rules directory (default: the packaged rules)."
)
EXTRA_RULES_ENV = "MTUS_RULES_EXTRA"
rules_extra_option = click.option(
    "--rules-extra", "rules_extra", multiple=True, envvar=EXTRA_RULES_ENV, type=PATH, metavar="DIR",
    help=f"A site's own rule folder (drugs, services, facts, topics) added to the rules; repeatable. Default: ${EXTRA_RULES_ENV}, folders separated by ':'.",
)
as_of_option = click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Date whose guideline editions apply (default: the request date).")
templates_option = click.option(
    "--templates",
    "templates_dir",
    type=PATH,
    default=None,
    help="Your template folder, searched before the packaged one (reachable as default/NAME).",
)
engine_option = click.option("--engine", type=click.Choice(["durable", "reference"]), default="durable", show_default=True, help="Rule evaluator.")


def case_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a command that checks one case: the rules, the site's rules, the date, the
    templates and the evaluator."""
    for option in (engine_option, templates_option, as_of_option, rules_extra_option, rules_option):
        func = option(func)
    return func


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mtus-checker")
def main() -> None:
    """Check treatment requests against MTUS rules and draft IMR-style rationales."""


@main.command()
@click.argument("case", type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@case_options
@one_case
@guarded
def check(
    case: Path, fmt: str, rules_dir: Path | None, rules_extra: tuple[Path, ...], as_of: str | None, templates_dir: Path | None, engine: str,
) -> None:
    """Per requested item: the decision and every criterion with its status and citation."""
    from checker.api import Checker
    from checker.render.render import render, to_json

    result = Checker(rules_dir, engine, registration="on_demand", extra_dirs=rules_extra).check(case, _as_of(as_of))
    if fmt == "json":
        click.echo(to_json(result.report), nl=False)
    else:
        click.echo(render("check", "text", {"report": result.report}, templates_dir), nl=False)


@main.command()
@click.argument("case", type=PATH)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "html", "docx"]), default="text", show_default=True,
    help="docx: a Word document made from the HTML draft (redirect it to a file).",
)
@click.option(
    "--kind", type=click.Choice(["determination", "information-request"]), default="determination", show_default=True,
    help="information-request: what utilization review asks the requesting physician for before deciding (8 CCR 9792.9.1).",
)
@case_options
@one_case
@guarded
def draft(
    case: Path, fmt: str, kind: str, rules_dir: Path | None, rules_extra: tuple[Path, ...], as_of: str | None, templates_dir: Path | None, engine: str,
) -> None:
    """A draft determination in the IMR letter's shape, citing the guideline pages that decided; or
    (--kind information-request) the request for the documentation that would decide each item."""
    from checker.api import Checker
    from checker.render.render import render

    if fmt == "docx" and sys.stdout.isatty():
        raise InputError("command line", "--format docx", "a Word document is binary and would garble the terminal", "redirect it: > draft.docx")
    result = Checker(rules_dir, engine, registration="on_demand", extra_dirs=rules_extra).check(case, _as_of(as_of))
    template = "draft" if kind == "determination" else kind
    if fmt == "docx":
        from checker.render.render_docx import html_to_docx

        sys.stdout.buffer.write(html_to_docx(render(template, "html", {"report": result.report}, templates_dir)))  # click.get_binary_stream is deprecated
        return
    click.echo(render(template, fmt, {"report": result.report}, templates_dir), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of cores).")
@click.option(
    "--divergences", "divergence_paths", multiple=True, type=PATH,
    help="A list of known divergences (file or folder), for case files that are regenerated, such as imported letters.",
)
@click.option("--out", "out", type=PATH, default=None,
              help="Write the report to this file, whole or not at all (default: standard output).")
@rules_option
@rules_extra_option
@templates_option
@engine_option
@guarded
def regress(
    paths: tuple[Path, ...], fmt: str, jobs: int | None, divergence_paths: tuple[Path, ...], out: Path | None,
    rules_dir: Path | None, rules_extra: tuple[Path, ...], templates_dir: Path | None, engine: str,
) -> None:
    """Run every case file with an expected: block; exit 1 on any disagreement or when none ran."""
    from checker.api import Checker
    from checker.measure.progress import ProgressLine
    from checker.measure.regress import Interrupted, default_jobs, load_divergences, regress, write_report, write_report_file
    from checker.render.render import render

    divergences = load_divergences(list(divergence_paths))
    progress = ProgressLine(sys.stderr, lambda values: render("regress-progress", "text", values, templates_dir))
    try:
        checker = Checker(rules_dir, engine, registration="by_edition", extra_dirs=rules_extra)
        run = regress(checker, list(paths), jobs or default_jobs(), progress, json_report=fmt == "json", divergences=divergences)
    except Interrupted as exc:
        progress.finish()
        _interrupted(f"after {exc.done} of {exc.total} case files ({_counts(exc.tally)}); no report written")
    progress.finish()
    try:
        if out is not None:
            write_report_file(run, fmt, out, templates_dir)
        else:
            echoed = EchoedInChunks()
            write_report(run, fmt, echoed, templates_dir)
            echoed.flush()
        summary = run.summary(with_results=False)
    except KeyboardInterrupt:
        _interrupted(f"while writing the report ({_counts(run.tally)}); {'no report written' if out else 'the report is incomplete'}")
    finally:
        run.close()
    _exit(EXIT_BAD_INPUT if summary["errors"] else (EXIT_OK if summary["passed"] else EXIT_FINDINGS))


class EchoedInChunks:
    """A report's pieces echoed as `click.echo(piece, nl=False)` echoes each, in chunks of about
    CHUNK_CHARS: click.echo writes and flushes every call, and a text report of 2,000 items is some
    35,000 pieces (a write to the pipe or file each). The same bytes: click.echo strips ANSI escape
    codes from what it writes to a file or pipe, so a piece holding an escape character is echoed on
    its own after the chunk before it, as before, and a chunk holds none (tests/test_speed.py). So a
    chunk is echoed with color=True: click.echo then writes it as it is, without searching every
    character of the report for an escape code it cannot hold."""

    CHUNK_CHARS = 1 << 16

    def __init__(self, echo: Callable[[str], Any] | None = None) -> None:
        self._echo = echo or (lambda text: click.echo(text, nl=False))
        self._echo_chunk = echo or (lambda text: click.echo(text, nl=False, color=True))
        self._pieces: list[str] = []
        self._size = 0

    def __call__(self, piece: str) -> None:
        if "\x1b" in piece:
            self.flush()
            self._echo(piece)
            return
        self._pieces.append(piece)
        self._size += len(piece)
        if self._size >= self.CHUNK_CHARS:
            self.flush()

    def flush(self) -> None:
        """Echo what is held (nothing when nothing is)."""
        if self._pieces:
            text = "".join(self._pieces)
            self._pieces.clear()
            self._size = 0
            self._echo_chunk(text)


def _counts(tally: Any) -> str:
    return (f"{tally.items} items: {tally.agree} agree, {tally.disagree} disagree, {tally.count('no_rule')} without a rule; "
            f"{len(tally.errors)} case files with errors")


@main.command("import")
@click.argument("letters", nargs=-1, required=True, type=PATH)
@click.option("--out", "out_dir", required=True, type=PATH, help="Folder for the case files (created if missing).")
@rules_option
@rules_extra_option
@templates_option
@guarded
def import_letters(letters: tuple[Path, ...], out_dir: Path, rules_dir: Path | None, rules_extra: tuple[Path, ...], templates_dir: Path | None) -> None:
    """IMR letters (PDF or text) to case files, the letter's decisions and citations as expected:.
    Exit 2 when a letter cannot be read (the others are still written)."""
    from checker.imr.importer import Importer
    from checker.render.render import render

    run = Importer(_ruleset(rules_dir, rules_extra)).run(list(letters), out_dir)
    click.echo(render("import", "text", {"run": run, "out": str(out_dir)}, templates_dir), nl=False)
    for error in run.errors:
        click.echo(f"mtus: error: {error}", err=True)
    sys.exit(EXIT_BAD_INPUT if run.errors else EXIT_OK)


@main.command()
@click.argument("text", type=PATH)
@click.option("--request", "requests", multiple=True, metavar="TEXT", help='A requested item as written ("Soma 350 mg BID #60"); one or more.')
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="The request date (needed): reads two-digit years and is written as dates.request.")
@click.option("--case", "case_id", default=None, help="Case id for the draft (default: the text file's name).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@rules_option
@rules_extra_option
@guarded
def extract(
    text: Path, requests: tuple[str, ...], as_of: str | None, case_id: str | None, fmt: str, rules_dir: Path | None, rules_extra: tuple[Path, ...],
) -> None:
    """Draft a case file from clinical text: each fact with its origin, sentence, span and cue. Exit 2,
    writing nothing, when the draft would not load in `mtus check` / `mtus draft`."""
    from checker.base.fields import require_at_most
    from checker.extract import draft_case, read_clinical_text, require_loadable
    from checker.load.case import MAX_REQUESTS, dump_case
    from checker.render.render import to_json

    day = _as_of(as_of)
    require_at_most(list(requests), MAX_REQUESTS, "command line", "--request", "requested items", "draft the case in parts")
    _refuse_empty_requests(requests)
    clinical_text = read_clinical_text(text)
    _require_extract_arguments(requests, day)
    ruleset = _ruleset(rules_dir, rules_extra)
    name = case_id or (Path(text).stem if str(text) != "-" else "draft")
    source = "" if str(text) == "-" else str(text)
    case = draft_case(clinical_text, list(requests), ruleset, day, name, source)
    require_loadable(case, ruleset, source)
    click.echo(to_json(case) if fmt == "json" else dump_case(case), nl=False)


_REQUEST_EXAMPLE = '--request "Soma 350 mg BID #60"'


def _refuse_empty_requests(requests: tuple[str, ...]) -> None:
    for i, request in enumerate(requests):
        if not request.strip():
            raise InputError("command line", f"--request #{i + 1}", "empty request", f"give the requested item as written, e.g. {_REQUEST_EXAMPLE}")


def _require_extract_arguments(requests: tuple[str, ...], day: dt.date | None) -> None:
    """What a case file needs and only the command line gives: the requested items and the request date."""
    if not requests:
        raise InputError("command line", "--request", "no requested item: a case file needs at least one", f"give each item as written: {_REQUEST_EXAMPLE}")
    if day is None:
        problem = "no request date: a case file needs it to pick the guideline edition"
        raise InputError("command line", "--as-of", problem, "give the date of the request: --as-of YYYY-MM-DD")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback lets other machines in.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port to listen on; 0 picks a free one.")
@rules_option
@templates_option
@guarded
def serve(host: str, port: int, rules_dir: Path | None, templates_dir: Path | None) -> None:
    """The reviewer's workbench, a local web page: prints its address and serves until Ctrl+C."""
    from checker.render.render import environment
    from checker.web.server import serve as run_server

    template = environment(templates_dir).get_template("web/serve.txt.j2")
    try:
        run_server(host, port, rules_dir, templates_dir, lambda address, loopback: click.echo(template.render(address=address, loopback=loopback), nl=False))
    except OSError as exc:
        raise InputError("command line", "--port" if exc.errno == errno.EADDRINUSE else "--host", f"cannot listen on {host}:{port} ({exc.strerror})",
                         "give another --port (0 picks a free one) or --host") from None


@main.group()
def rules() -> None:
    """Inspect and lint the rule set."""


@rules.command("lint")
@click.argument("directory", required=False, type=PATH)
@rules_extra_option
@click.option("--explain", "explain", is_flag=False, flag_value="", default=None, metavar="[CHECK]",
              help="Tell what CHECK refuses, with a passing and a failing example; without CHECK, list the checks. Lints nothing.")
@templates_option
@guarded
def rules_lint(directory: Path | None, rules_extra: tuple[Path, ...], explain: str | None, templates_dir: Path | None) -> None:
    """Fail on unknown facts, missing citations, reused ids, overlapping editions and the other checks
    --explain lists (with --rules-extra: of the rules and the site's folder together); then report, per
    topic, the decisive criteria that read facts only a reviewer can give."""
    from dataclasses import asdict

    from checker.lint import lint, unextractable
    from checker.load.compiler import compile_program
    from checker.render.render import render

    if explain is not None:
        _explain_lint(explain, templates_dir)
        return
    ruleset = _ruleset(directory, rules_extra)
    defects = lint(ruleset)
    for defect in defects:
        click.echo(defect.one_line())
    if defects:
        click.echo(f"{len(defects)} defect(s) in {ruleset.directory}", err=True)
        sys.exit(EXIT_FINDINGS)
    program = compile_program(ruleset)
    criteria = sum(len(t.dated_criteria) for t in ruleset.topics)
    click.echo(f"ok: {len(ruleset.topics)} topics, {criteria} criteria, {len(program.probes)} engine rules, rules {ruleset.stamp}")
    click.echo(render("rules-lint-reach", "text", {"topics": [asdict(t) for t in unextractable(ruleset)]}, templates_dir), nl=False)


def _explain_lint(check_id: str, templates_dir: Path | None) -> None:
    """The list of lint checks (no check_id), or one check's documentation."""
    from checker.base.fields import did_you_mean
    from checker.lint import CHECKS
    from checker.render.render import environment

    env = environment(templates_dir)
    if not check_id:
        click.echo(env.get_template("rules_lint_checks.txt.j2").render(checks=list(CHECKS.values())), nl=False)
        return
    if check_id not in CHECKS:
        fix = did_you_mean(check_id, CHECKS, "run 'mtus rules lint --explain' for the list")
        raise InputError("command line", "--explain", f"no lint check '{check_id}'", fix)
    click.echo(env.get_template("rules_lint_explain.txt.j2").render(check=CHECKS[check_id]), nl=False)


@rules.command("list")
@rules_option
@rules_extra_option
@templates_option
@guarded
def rules_list(rules_dir: Path | None, rules_extra: tuple[Path, ...], templates_dir: Path | None) -> None:
    """Topics, the guideline editions they follow, and each criterion's role and dated changes."""
    from checker.docs.docs import docs_data
    from checker.render.render import render

    ruleset = _ruleset(rules_dir, rules_extra)
    click.echo(render("rules-list", "text", {"docs": docs_data(ruleset)}, templates_dir), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--min", "minimum", type=click.FloatRange(0, 100), default=None, help="Exit 1 when fewer than this percent of items have a rule.")
@rules_option
@rules_extra_option
@templates_option
@guarded
def scope(
    paths: tuple[Path, ...], fmt: str, minimum: float | None, rules_dir: Path | None, rules_extra: tuple[Path, ...], templates_dir: Path | None,
) -> None:
    """How many requested items in these case files have an applicable rule, and which do not."""
    from checker.measure.scope import scope_report
    from checker.render.render import render, to_json

    summary = scope_report(_ruleset(rules_dir, rules_extra), list(paths))
    if fmt == "json":
        click.echo(to_json(summary), nl=False)
    else:
        click.echo(render("scope", "text", {"summary": summary}, templates_dir), nl=False)
    if summary["errors"] or not summary["requested"]:
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(EXIT_FINDINGS if minimum is not None and summary["percent"] < minimum else EXIT_OK)


@rules.command("coverage")
@rules_option
@click.option("--tests", "tests_dir", type=PATH, default=None,
              help="Rule fixture directory (default: tests/rules beside the rules directory, in a source checkout).")
@click.option("--min", "minimum", default="100", show_default=True, metavar="PERCENT", help="Exit 1 when coverage is below this percentage.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@templates_option
@guarded
def rules_coverage(rules_dir: Path | None, tests_dir: Path | None, minimum: str, fmt: str, templates_dir: Path | None) -> None:
    """Run the rule fixtures and report, per criterion, whether they showed it met, not met and not documented."""
    from checker.measure.coverage import parse_minimum, rules_coverage
    from checker.render.render import render, to_json

    summary = rules_coverage(rules_dir, tests_dir, parse_minimum(minimum))
    if fmt == "json":
        click.echo(to_json(summary), nl=False)
    else:
        click.echo(render("rules-coverage", "text", {"summary": summary}, templates_dir), nl=False)
    sys.exit(EXIT_BAD_INPUT if summary["fixtures"]["error"] else (EXIT_OK if summary["passed"] else EXIT_FINDINGS))


@rules.command("docs")
@rules_option
@rules_extra_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--out", "out", type=PATH, default=None, help="Write the reference to this file (default: standard output).")
@templates_option
@guarded
def rules_docs(rules_dir: Path | None, rules_extra: tuple[Path, ...], fmt: str, out: Path | None, templates_dir: Path | None) -> None:
    """A readable reference of every topic, edition, criterion, limit and citation."""
    from checker.docs.docs import docs_data, write_docs
    from checker.render.render import render

    text = render("rules-docs", fmt, {"docs": docs_data(_ruleset(rules_dir, rules_extra))}, templates_dir)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_docs(text, out)


if __name__ == "__main__":  # pragma: no cover
    main()
