"""Case content is data, never code: HTML output escapes it, no template ever compiles it, YAML tags
that build objects are refused everywhere mtus-checker reads YAML, error lines quote at most a short
excerpt of a value, and no run leaves a file holding case data behind (temporary files, caches)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

from checker.base.errors import MAX_PART_CHARS, InputError
from checker.base.yamlio import load_yaml
from checker.load.ruleset import load_topic
from checker.text.context import load_context_rules
from checker.text.extract_cues import load_extraction_cues
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TEMPLATE_CODE = "{{ 7*7 }} {% for x in range(3) %}LOOP{% endfor %} {{ ''.__class__.__mro__ }}"
SCRIPT = "<script>alert('{}')</script>"
SENTINEL = "Qzxv-claimant-narrative-7731"  # a value that occurs nowhere but in the case file



def hostile_case(tmp_path: Path) -> Path:
    """seed-000 with markup and template code in every text the outputs show."""
    case = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text(encoding="utf-8"))
    case["case"] = f"seed-000 {SCRIPT.format('case')}"
    case["title"] = f"{SCRIPT.format('title')} {TEMPLATE_CODE}"
    case["diagnoses"] = [f"cervical sprain <img src=x onerror=alert(1)> {TEMPLATE_CODE}", "{{ config }}"]
    case["facts"]["functional_improvement"] = {
        "value": False, "origin": "reviewer", "source": f"activity <b>unchanged</b> {TEMPLATE_CODE}",
        "reason": f"note {SCRIPT.format('reason')} {TEMPLATE_CODE}",
    }
    for request in case["requests"]:
        request["text"] += f" {SCRIPT.format(request['id'])} {TEMPLATE_CODE}"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    return path


OUTPUTS = [("check", "text"), ("check", "json"), ("draft", "text"), ("draft", "markdown"), ("draft", "html")]


@pytest.mark.parametrize(("command", "fmt"), OUTPUTS, ids=[f"{c}-{f}" for c, f in OUTPUTS])
def test_template_code_in_case_text_stays_literal(command: str, fmt: str, tmp_path: Path):
    result = run(command, hostile_case(tmp_path), "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    escaped = command == "draft" and fmt in ("html", "markdown")
    assert (TEMPLATE_CODE.replace("'", "&#39;") if escaped else TEMPLATE_CODE) in out  # as written, where the title shows
    assert "LOOPLOOP" not in out and "<class" not in out and "&lt;class" not in out  # what it would give if run


def test_html_draft_escapes_every_case_text(tmp_path: Path):
    html = run("draft", hostile_case(tmp_path), "--format", "html").stdout
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    for where in ("case", "title", "soma", "oxycodone"):
        assert f"&lt;script&gt;alert(&#39;{where}&#39;)&lt;/script&gt;" in html, where
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_draft_escapes_every_case_text(tmp_path: Path):
    """Markdown viewers render raw HTML, so the Markdown draft escapes case text as well."""
    markdown = run("draft", hostile_case(tmp_path), "--format", "markdown").stdout
    assert "<script" not in markdown and "<img" not in markdown and "<b>" not in markdown
    for where in ("case", "title", "soma", "oxycodone"):
        assert f"&lt;script&gt;alert(&#39;{where}&#39;)&lt;/script&gt;" in markdown, where
    assert "**Decision rationale:**" in markdown  # the template's own Markdown is untouched


def test_no_template_is_ever_compiled_from_case_text(tmp_path: Path, monkeypatch, templates_from_source):
    """Every source Jinja compiles while drafting is a template file's: case text is only ever
    passed as data (so a sandbox would guard nothing here; --templates are the user's own)."""
    monkeypatch.setenv("MTUS_CACHE_DIR", "off")  # compiled-template cache off: every template compiles now
    compiled: list[str] = []
    original = jinja2.Environment.compile

    def recording(self, source, *args, **kwargs):
        compiled.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", recording)
    case = hostile_case(tmp_path)
    for fmt in ("text", "markdown", "html"):
        assert run("draft", case, "--format", fmt).exit_code == 0
    assert run("check", case).exit_code == 0
    assert compiled, "no template was compiled: the test does not see Jinja's compile step"
    assert not any("alert(" in source or "Qzxv" in source for source in compiled)
    packaged = {p.read_text(encoding="utf-8") for p in (REPO / "templates").glob("*.j2")}
    assert set(compiled) <= packaged


# ---- YAML tags that build Python objects ------------------------------------------------------------

def _tagged(tmp_path: Path, name: str, document: str) -> tuple[Path, Path]:
    """A YAML file whose tag would create a file when an unsafe loader executed it."""
    marker = tmp_path / f"{name}.executed"
    tag = f'!!python/object/apply:os.system ["touch {marker}"]'
    path = tmp_path / f"{name}.yaml"
    path.write_text(document.replace("TAG", tag), encoding="utf-8")
    return path, marker


LOADERS = [
    ("case file", "schema: mtus-case/1\ncase: TAG\ndates: {request: 2013-11-20}\nrequests: [{text: x}]\n",
     lambda path: run("check", path)),
    ("rule file", "schema: mtus-rules/2\ntopic: TAG\n", lambda path: load_topic(path, {})),
    ("extraction cue file", "schema: mtus-extract-cues/1\ncues: TAG\n", lambda path: load_extraction_cues(path)),
    ("context cue file", "schema: mtus-context-cues/1\nrules: TAG\n", lambda path: load_context_rules(path)),
    ("any YAML", "a: [1, TAG]\n", lambda path: load_yaml(path, "file")),
    ("a tag on a mapping", "a: !!python/object/new:os.system {}\nb: TAG\n", lambda path: load_yaml(path, "file")),
]


@pytest.mark.parametrize(("what", "document", "load"), LOADERS, ids=[w for w, _, _ in LOADERS])
def test_python_object_tags_are_refused_and_never_run(what: str, document: str, load, tmp_path: Path):
    path, marker = _tagged(tmp_path, what.replace(" ", "_"), document)
    try:
        result = load(path)
    except InputError as exc:
        message = exc.one_line()
    else:
        assert result.exit_code == 2, result.output
        message = result.stderr
    assert "!!python/object" in message and "is not accepted" in message and str(path) in message, message
    assert not marker.exists()


# ---- what error lines and runs leave behind -----------------------------------------------------------

def _with(tmp_path: Path, name: str, edit) -> Path:
    case = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text(encoding="utf-8"))
    edit(case)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    return path


LONG = " ".join([SENTINEL] * 400)  # about 11,000 characters of "the records"
LEAKY_ERRORS = {
    "unknown_drug_in_text": lambda c: c["requests"][0].update(text=f"Zzqdrug 40 mg daily #30 {LONG[:900]}"),  # a request line is at most 1000
    "unknown_drug_field": lambda c: c["requests"][0].update(drug=LONG),
    "unknown_sex": lambda c: c["claimant"].update(sex=LONG),
    "unknown_schema": lambda c: c.update(schema=LONG),
    "duplicate_id": lambda c: [r.update(id=LONG) for r in c["requests"]],
    "unknown_body_part": lambda c: c["requests"][0].update(body_parts=[LONG]),
    "fact_not_a_boolean": lambda c: c["facts"].update(single_prescriber=LONG),
    "unknown_fact_named_by_the_record": lambda c: c["facts"].update({SENTINEL.lower().replace("-", "_") * 30: True}),
}


@pytest.mark.parametrize("name", list(LEAKY_ERRORS))
def test_an_error_line_quotes_at_most_a_short_excerpt_of_a_value(name: str, tmp_path: Path):
    path = _with(tmp_path, name, LEAKY_ERRORS[name])
    result = run("check", path)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    quoted = line.replace(str(path), "")
    assert len(quoted) <= 3 * MAX_PART_CHARS + 40, len(quoted)
    excerpt = quoted.lower().replace("_", "-").count(SENTINEL.lower())  # a fact name holds it in lower case with '_'
    assert 1 <= excerpt <= 3, line  # it says what it found, in a few words


def test_control_characters_in_a_file_name_are_shown_escaped(tmp_path: Path):
    path = tmp_path / "case\x1b[2J.yaml"
    path.write_text("case: [unclosed\n", encoding="utf-8")
    result = run("check", path)
    assert result.exit_code == 2 and "\x1b" not in result.stderr and "case\\x1b[2J.yaml" in result.stderr


def _files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def test_runs_leave_no_file_with_case_data_behind(tmp_path: Path):
    """check, draft, regress (serial and with worker processes) and import, as separate processes with
    their own temporary folder, cache folder and home: afterwards the temporary folder is empty and
    no file outside what the commands were asked to write holds a case's data."""
    work = tmp_path / "work"
    cases = work / "cases"
    cases.mkdir(parents=True)
    for i in range(40):  # enough files for the workers to start when --jobs 2 is forced below
        _with(cases, f"case{i:02d}", lambda c, i=i: c.update(title=f"{SENTINEL} {i}", diagnoses=[SENTINEL]))
    letters = REPO.parent / "shared" / "seeds"
    env = {
        **os.environ, "TMPDIR": str(tmp_path / "tmp"), "MTUS_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONDONTWRITEBYTECODE": "1",
    }
    for folder in ("tmp", "cache", "home", "xdg"):
        (tmp_path / folder).mkdir()
    mtus = [sys.executable, "-c", "import sys; from checker.measure import regress; regress.MIN_FILES_PER_WORKER = 4; "
            "from checker.cli import main; sys.exit(main())"]
    commands = [
        ["check", str(cases / "case00.yaml")],
        ["draft", str(cases / "case01.yaml"), "--format", "html"],
        ["regress", str(cases), "--jobs", "1", "--format", "json"],
        ["regress", str(cases), "--jobs", "2"],
    ]
    if letters.is_dir():
        first = sorted(letters.glob("*.txt"))[0]
        shutil.copy(first, work / first.name)
        commands.append(["import", str(work / first.name), "--out", str(work / "imported")])
    for command in commands:
        done = subprocess.run([*mtus, *command], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), (command, done.returncode, done.stderr[-2000:])
    assert _files_under(tmp_path / "tmp") == [], "temporary files were left behind"
    marks = [SENTINEL]
    if letters.is_dir():
        summary = (work / first.name).read_text(encoding="utf-8")
        marks += re.findall(r"CM\d{2}-\d{5,8}", summary)[:1]  # the letter's case number
    leftovers = [p for p in _files_under(tmp_path / "cache", tmp_path / "home", tmp_path / "xdg") if any(m.encode() in p.read_bytes() for m in marks)]
    assert leftovers == [], leftovers
    assert _files_under(tmp_path / "cache"), "the cache was not written: the test does not see where runs keep files"
