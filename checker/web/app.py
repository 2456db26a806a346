"""The web page's routes (Flask): parse the form, call the workbench, render templates/web/.

Safe by default: every form carries a CSRF token (Flask-WTF); only the Host names the server was
started for are answered (a page elsewhere cannot reach it through DNS rebinding); every response
carries a Content-Security-Policy that allows no script and nothing from elsewhere, and forbids
caching (the browser keeps no case on disk); uploads are held in memory, limited in size and type;
nothing with case text is logged.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, abort, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from checker.base.errors import EngineError, InputError
from checker.base.yamlio import MAX_YAML_BYTES, read_text
from checker.extract import MAX_TEXT_BYTES
from checker.imr.letters import letter_text
from checker.load.case import case_mapping
from checker.measure.regress import NO_TOPIC
from checker.render.render import environment
from checker.render.render_docx import html_to_docx
from checker.web.views import Views
from checker.web.workbench import Checked, FactEdit, FormProblem, Workbench, file_stem

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a PDF letter of the DWC is well under 1 MB
# The largest request: an upload, or the workbench form carrying a clinical text and its case file.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 2 * MAX_TEXT_BYTES + MAX_YAML_BYTES
LETTER_SUFFIXES = (".pdf", ".txt")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
CASE_SUFFIXES = (".yaml", ".yml")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOWNLOADS = {
    "case.yaml": ("application/yaml", "{stem}.yaml"),
    "draft.md": ("text/markdown; charset=utf-8", "{stem}-draft.md"),
    "draft.html": ("text/html; charset=utf-8", "{stem}-draft.html"),
    "draft.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "{stem}-draft.docx"),
}
_log = logging.getLogger("checker.web")


class InMemoryRequest(Request):
    """Uploads stay in memory (Werkzeug spools a large one to a temporary file otherwise); the
    request size limit bounds them."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None, filename: str | None = None,
                         content_length: int | None = None) -> io.BytesIO:
        return io.BytesIO()


def create_app(rules_dir: Path | None = None, templates_dir: Path | None = None, trusted_hosts: Iterable[str] | None = LOOPBACK_NAMES) -> Flask:
    """The web page's application. trusted_hosts: the Host names answered (None: any, for a server
    bound to every interface)."""
    app = Flask(__name__, static_folder="static")
    app.request_class = InMemoryRequest
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # new on every start: nothing signed outlives the server
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=2 * MAX_TEXT_BYTES + MAX_YAML_BYTES,
        MAX_FORM_PARTS=5000,
        WTF_CSRF_TIME_LIMIT=None,  # a review may take longer than an hour; the token dies with the server
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    page = Pages(Workbench(rules_dir, templates_dir), templates_dir, app.config["SECRET_KEY"])
    if trusted_hosts is not None:
        app.before_request(page.host_check(trusted_hosts))  # before the CSRF check: an untrusted Host gets no page at all
    CSRFProtect(app)
    app.add_url_rule("/", "home", page.home, methods=["GET"])
    app.add_url_rule("/check", "new_check", page.new_check, methods=["POST"])
    app.add_url_rule("/open", "open_file", page.open_file, methods=["POST"])
    app.add_url_rule("/work", "work", page.work, methods=["POST"])
    app.add_url_rule("/download/<kind>", "download", page.download, methods=["POST"])
    app.add_url_rule("/regress", "regress", page.regress, methods=["POST"])
    app.add_url_rule("/regress/item/<token>", "regress_item", page.regress_item, methods=["GET"])
    app.register_error_handler(CSRFError, page.csrf_error)
    app.register_error_handler(RequestEntityTooLarge, page.too_large)
    app.register_error_handler(HTTPException, page.http_error)
    app.register_error_handler(Exception, page.server_error)
    app.after_request(secure_headers)
    return app


def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


class Pages:
    """The route handlers, around one workbench and one template environment."""

    def __init__(self, bench: Workbench, templates_dir: Path | None, secret: bytes) -> None:
        self.bench = bench
        self.views = Views(bench.ruleset)
        self.env = environment(templates_dir)
        self.env.globals["url_for"] = url_for
        self.links = URLSafeSerializer(secret, salt="regress-item")

    # ---- pages ---------------------------------------------------------------------------------

    def render(self, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("notice", None)
        html = self.env.get_template(f"web/{name}.html.j2").render(csrf_token=generate_csrf(), ruleset=self.bench.ruleset.stamp, **context)
        return Response(html, status, mimetype="text/html")

    def home(self, notice: dict[str, Any] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
        return self.render("home", status, notice=notice, form=form or {})

    def workbench(self, checked: Checked, text: str, draft: str = "", base: str = "", notice: dict[str, Any] | None = None) -> Response:
        generated = checked.draft
        edited = bool(draft) and _digest(draft) != base
        shown = draft if edited else generated
        return self.render(
            "workbench", notice=notice, stale=edited and _digest(generated) != base, draft=shown, preview=Markup(markdown_html(shown)),
            draft_base=base if edited else _digest(generated), case_yaml=checked.case_yaml, text=text, **self.views.page(checked, text),
        )

    # ---- routes --------------------------------------------------------------------------------

    def new_check(self) -> Response:
        form = {k: request.form.get(k, "") for k in ("text", "requests", "request_date", "case_id")}
        try:
            text = _lines(form["text"])
            upload = _upload(request.files.get("file"), LETTER_SUFFIXES)
            if upload is not None:
                if text.strip():
                    raise FormProblem("text_and_file", "file")
                text = _lines(_upload_text(upload))
            case = self.bench.new_case(text, form["requests"], form["request_date"], form["case_id"])
            return self.workbench(self.bench.check(case), text)
        except (FormProblem, InputError, EngineError) as exc:
            return self.home(notice_of(exc), form, 422)

    def open_file(self) -> Response:
        try:
            upload = _upload(request.files.get("file"), LETTER_SUFFIXES + CASE_SUFFIXES)
            if upload is None:
                raise FormProblem("no_file", "file")
            name, data = upload
            if name.lower().endswith(CASE_SUFFIXES):
                notes = _upload(request.files.get("text_file"), LETTER_SUFFIXES)
                clinical = _lines(_upload_text(notes)) if notes else ""
                case, text, refused = self.bench.open_case_file(_utf8(data, name), name, clinical)
                notice = {"kind": "text_not_matching"} if refused else None
                return self.workbench(self.bench.check(case, name), text, notice=notice)
            case, text = self.bench.open_letter(data, name)
            return self.workbench(self.bench.check(case), text)
        except (FormProblem, InputError, EngineError) as exc:
            return self.home(notice_of(exc), status=422)

    def work(self) -> Response:
        case, text, draft, base = self.posted_state()
        action = request.form.get("action", "refresh")
        notice = None
        if action == "redraft":
            draft = ""
        edit = _edit(action, request.form)
        if edit is not None:
            try:
                checked = self.bench.check(self.bench.apply(case, edit))
                return self.workbench(checked, text, draft, base, {"kind": "saved", "where": edit.where, "name": edit.name})
            except (FormProblem, InputError) as exc:
                typed = {k: v for k, v in request.form.items() if k.startswith(("value.", "reason.", "add_")) or k == "action"}
                notice = {**notice_of(exc), "where": edit.where, "name": edit.name, "typed": typed}
        return self.workbench(self.bench.check(case), text, draft, base, notice)

    def download(self, kind: str) -> Response:
        if kind not in DOWNLOADS:
            abort(404)
        case, _, draft, _ = self.posted_state()
        checked = self.bench.check(case)
        mimetype, filename = DOWNLOADS[kind]
        if kind == "case.yaml":
            body: bytes = checked.case_yaml.encode("utf-8")
        else:
            body = self.draft_bytes(checked, draft, kind.rsplit(".", 1)[1])
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename.format(stem=file_stem(case))}"'
        return response

    def draft_bytes(self, checked: Checked, draft: str, suffix: str) -> bytes:
        """The draft as the reviewer left it; unedited, exactly what `mtus draft` writes."""
        edited = bool(draft.strip()) and draft != checked.draft
        if suffix == "md":
            return (draft if edited else checked.draft).encode("utf-8")
        report = checked.result.report
        html = self.edited_html(draft, report) if edited else self.bench.render_draft(report, "html")
        return html.encode("utf-8") if suffix == "html" else html_to_docx(html)

    def edited_html(self, draft: str, report: dict[str, Any]) -> str:
        return self.env.get_template("web/draft_edited.html.j2").render(body=Markup(markdown_html(draft)), report=report)

    def regress(self) -> Response:
        folder, listed = request.form.get("folder", ""), request.form.get("divergences", "")
        try:
            summary = self.bench.regress(folder, listed)
        except (FormProblem, InputError, EngineError) as exc:
            return self.home(notice_of(exc), {"folder": folder, "divergences": listed}, 422)
        flagged: dict[str, list[dict[str, Any]]] = {}
        for result in summary["results"]:
            if result["status"] not in ("agree", "no_rule"):
                link = url_for("regress_item", token=self.links.dumps([result["file"], result["item"]]))
                flagged.setdefault(result["actual"]["topic"] or NO_TOPIC, []).append({**result, "link": link})
        return self.render("regress", summary=summary, folder=folder, flagged=flagged)

    def regress_item(self, token: str) -> Response:
        try:
            path, item = self.links.loads(token)
        except BadSignature:
            abort(404)
        try:
            case, text, _ = self.bench.open_case_file(read_text(Path(path), "case file"), str(path))
            ids = [r.get("id") for r in case.get("requests") or [] if isinstance(r, dict)]
            anchor = f"item-{ids.index(item)}" if item in ids else ""
            return self.workbench(self.bench.check(case, Path(path).name), text, notice={"kind": "opened_item", "item": item, "anchor": anchor})
        except (FormProblem, InputError, EngineError) as exc:
            return self.home(notice_of(exc), status=422)

    def posted_state(self) -> tuple[dict[str, Any], str, str, str]:
        """The case, clinical text and draft the page sent back; a case that no longer loads is bad input."""
        form = request.form
        try:
            case = case_mapping(form.get("case_yaml", ""), "case")
        except InputError:
            abort(400)
        if not isinstance(case, dict):
            abort(400)
        return case, _lines(form.get("text", "")), _lines(form.get("draft", "")), form.get("draft_base", "")

    # ---- errors --------------------------------------------------------------------------------

    def csrf_error(self, error: CSRFError) -> Response:
        return self.home({"kind": "csrf"}, status=400)

    def too_large(self, error: RequestEntityTooLarge) -> Response:
        return self.home({"kind": "too_large", "limit": MAX_UPLOAD_BYTES}, status=413)

    def host_check(self, trusted: Iterable[str]) -> Callable[[], Response | None]:
        """A request whose Host is not one the server was started for gets a plain refusal. (Flask's
        TRUSTED_HOSTS would do, but Werkzeug 3.1 cannot match an IPv6 address such as [::1].)"""
        names = {name.lower() for name in trusted}

        def check() -> Response | None:
            if host_name(request.headers.get("Host", "")) in names:
                return None
            return Response(self.env.get_template("web/untrusted_host.txt.j2").render(), 400, mimetype="text/plain")

        return check

    def http_error(self, error: HTTPException) -> Response:
        return self.render("error", error.code or 500, notice={"kind": "http", "code": error.code})

    def server_error(self, error: Exception) -> Response:
        # The class and route only: an exception's message may quote the case.
        _log.error("internal error %s on %s", type(error).__name__, request.path)
        return self.render("error", 500, notice={"kind": "server_error"})


def host_name(host: str) -> str:
    """A Host header without its port: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:8080" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def notice_of(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, FormProblem):
        return {"kind": exc.kind, "field": exc.field, **exc.details}
    if isinstance(exc, InputError):
        return {"kind": "input_error", "message": exc.one_line(), "field": exc.field}
    return {"kind": "engine_error", "message": str(exc)[:300]}


def markdown_html(text: str) -> str:
    """Markdown as HTML with raw HTML and images off: the reviewer's edits are shown, never run."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).disable("image").render(text)


def _edit(action: str, form: Any) -> FactEdit | None:
    """set.<where>.<fact> | remove.<where>.<fact> | add (fields add_where, add_fact, add_value, add_reason)."""
    if action == "add":
        return FactEdit("add", form.get("add_where", ""), form.get("add_fact", ""), form.get("add_value", ""), form.get("add_reason", ""))
    verb, _, target = action.partition(".")
    where, _, name = target.partition(".")
    if verb not in ("set", "remove") or not where or not name:
        return None
    return FactEdit(verb, where, name, form.get(f"value.{where}.{name}", ""), form.get(f"reason.{where}.{name}", ""))


def _upload(file: FileStorage | None, suffixes: tuple[str, ...]) -> tuple[str, bytes] | None:
    """An uploaded file's name and bytes, or None when none was chosen; refused when too large or of another type."""
    if file is None or not file.filename:
        return None
    name = Path(file.filename).name
    if not name.lower().endswith(suffixes):
        raise FormProblem("file_type", "file", name=name, allowed=", ".join(suffixes))
    data = file.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FormProblem("too_large", "file", limit=MAX_UPLOAD_BYTES)
    if name.lower().endswith(".pdf") and not data.startswith(b"%PDF"):
        raise FormProblem("not_pdf", "file", name=name)
    return name, data


def _upload_text(upload: tuple[str, bytes]) -> str:
    """The text of an uploaded PDF or text file, read as a letter is read (checker.imr.letters)."""
    return letter_text(upload[1], upload[0])


def _utf8(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise FormProblem("not_text", "file", name=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormProblem("not_text", "file", name=name) from None


def _lines(text: str) -> str:
    """Line ends as the page first received them: a browser sends every line end back as CRLF,
    which would move the evidence offsets."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
