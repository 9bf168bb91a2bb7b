"""Weave an executed post into Hugo markdown: prose templates, code, outputs, figures.

Prose cells are Jinja2 templates rendered (StrictUndefined) against the post's namespace.
A small Jinja extension tells every value helper the line and expression that called it,
so the ledger can name where the prose shows each number. Jinja is active everywhere in
prose (``prose.py`` holds the escape rule); ``[raw]`` cells are published as written.
Everything written from code goes through ``hugo.py`` so it reaches the page literally.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token

from . import runtext
from .changes import shorten
from .claims import CODE_CLAIMS, evaluate
from .codediff import Source, plain_source, unified
from .errors import ScratchbookError
from .frontmatter import FrontMatter
from .hugo import code_block, inline_code, inline_text
from .ledger import Recorder, Tolerance
from .prose import ProseUndefined, checked_helpers, prepare_prose, syntax_error
from .show import DEFAULT_TIMING_FACTOR, Shown, ValueHelpers, format_value, scalar
from .source import Cell, Post

RECORDING_HELPERS = {"num", "pct", "seconds", "table", "plural", "count_of", "share", "seeds",
                     "difference", "claim"}
LOCATED_HELPERS = RECORDING_HELPERS | {"figure", "data_file"}   # told their prose line
WHOLE_CALL_KEY = {"difference"}   # keyed by the call's whole text: its two sides name it
HIDE_INPUT = {"hide-input", "remove-input", "hide-cell", "remove-cell"}
HIDE_OUTPUT = {"hide-output", "remove-output", "hide-cell", "remove-cell"}
REMOVE_CELL = {"hide-cell", "remove-cell"}   # on prose and raw cells too (Jupyter's meaning)
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
OPEN = {"lparen", "lbracket", "lbrace"}
CLOSE = {"rparen", "rbracket", "rbrace"}
WORDY = {"name", "integer", "float"}


# --------------------------------------------------------------------------- locations

def _text(tokens: list[Token]) -> str:
    """Readable source text of an expression's tokens (used as its ledger key)."""
    out = ""
    previous = None
    for token in tokens:
        piece = json.dumps(token.value) if token.type == "string" else str(token.value)
        if previous is not None and (
                (previous.type in WORDY and token.type in WORDY) or previous.type == "comma"):
            out += " "
        out += piece
        previous = token
    return out


def _matching(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].type in OPEN:
            depth += 1
        elif tokens[index].type in CLOSE:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _location_kwargs(line: int, expr: str, leading_comma: bool) -> list[Token]:
    tokens = [Token(line, "comma", ",")] if leading_comma else []
    return tokens + [Token(line, "name", "_line"), Token(line, "assign", "="),
                     Token(line, "integer", line), Token(line, "comma", ","),
                     Token(line, "name", "_expr"), Token(line, "assign", "="),
                     Token(line, "string", expr)]


class LocationExtension(Extension):
    """Rewrite ``{{ e }}`` to ``{{ __show(e, _line=N, _expr="e") }}`` and pass ``_line`` and
    ``_expr`` (the first argument's text) to every call of a recording helper."""

    def filter_stream(self, stream):
        tokens = list(stream)
        tokens = self._wrap_outputs(tokens)
        return iter(self._annotate_calls(tokens))

    @staticmethod
    def _wrap_outputs(tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type != "variable_begin":
                out.append(token)
                index += 1
                continue
            end = index + 1
            while end < len(tokens) and tokens[end].type != "variable_end":
                end += 1
            inner = tokens[index + 1:end]
            line = token.lineno
            out += [token, Token(line, "name", "__show"), Token(line, "lparen", "(")]
            out += inner
            out += _location_kwargs(line, _text(inner), leading_comma=bool(inner))
            out.append(Token(line, "rparen", ")"))
            if end < len(tokens):
                out.append(tokens[end])
            index = end + 1
        return out

    @staticmethod
    def _annotate_calls(tokens: list[Token]) -> list[Token]:
        index = 0
        while index < len(tokens) - 1:
            token = tokens[index]
            if (token.type == "name" and token.value in LOCATED_HELPERS
                    and tokens[index + 1].type == "lparen"
                    and (index == 0 or tokens[index - 1].type != "dot")):
                close = _matching(tokens, index + 1)
                args = tokens[index + 2:close]
                first, depth = [], 0
                for arg in args:
                    depth += arg.type in OPEN
                    depth -= arg.type in CLOSE
                    if depth == 0 and arg.type == "comma":
                        break
                    first.append(arg)
                keyword = len(first) >= 2 and first[0].type == "name" and first[1].type == "assign"
                whole = keyword or token.value in WHOLE_CALL_KEY
                expr = _text(tokens[index:close + 1]) if whole else _text(first)
                tokens[close:close] = _location_kwargs(token.lineno, expr, leading_comma=bool(args))
            index += 1
        return tokens


# --------------------------------------------------------------------------- the result

@dataclass
class Woven:
    markdown: str
    files: dict[str, bytes] = field(default_factory=dict)   # name -> bytes, under figures/<slug>/
    entries: dict = field(default_factory=dict)
    file_lines: dict[str, str] = field(default_factory=dict)  # file name -> "post.py:LINE"
    lines: list[tuple[int, int]] = field(default_factory=list)  # (markdown line, cell line)


class Weaver:
    """Renders one post. Holds the Jinja environment, the ledger recorder and the files the
    prose asks for (figures, data)."""

    def __init__(self, templates: Path, root: Path, post: Post, front: FrontMatter,
                 recorder: Recorder, figures=None, moved_line=None):
        """``figures`` (a :class:`.figurememo.FigureMemo`) reuses earlier renderings of
        untouched figures; ``moved_line`` maps a line of the post as it ran to the same line
        in ``post`` (its code cells ran before prose above them changed)."""
        self.root = root
        self.figure_memo = figures
        self.moved_line = moved_line
        self.post = post
        self.front = front
        self.recorder = recorder
        self.files: dict[str, bytes] = {}
        self.file_lines: dict[str, str] = {}
        self.values = ValueHelpers(recorder, post.display_path)
        self.partials = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)), undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True, autoescape=False)
        self.partials.filters["yaml"] = _yaml_scalar
        self.partials.filters["code_block"] = code_block
        self.partials.filters["inline_text"] = inline_text
        self._prose_sources: dict[str, str] = {}
        self.prose = jinja2.Environment(
            loader=jinja2.FunctionLoader(self._load_prose), undefined=ProseUndefined,
            extensions=[LocationExtension], keep_trailing_newline=True, autoescape=False)

    # ---- prose helpers

    def helpers(self) -> dict:
        return checked_helpers({
            "num": self.values.num, "pct": self.values.pct, "seconds": self.values.seconds,
            "plural": self.values.plural, "count_of": self.values.count_of,
            "share": self.values.share, "seeds": self.values.seeds,
            "difference": self.values.difference, "claim": self.claim,
            "__show": self.values.show, "figure": self.figure, "code": self.code,
            "diff": self.diff, "table": self.table, "data_file": self.data_file})

    def claim(self, condition, sentence: str, otherwise: str | None = None,
              key: str | None = None, _line: int | None = None, _expr: str = "",
              **values) -> Shown:
        """``sentence`` while ``condition`` holds; when it does not, ``otherwise`` if given,
        else the build fails naming this line, the sentence and the ``values`` (keyword
        arguments: the numbers the condition compares). Recorded as ``claim: <condition>``."""
        made = evaluate(condition, sentence, otherwise, key or f"claim: {_expr or sentence}",
                        values, self.post.display_path, _line, _expr)
        self._record_claim(made, self.values.where(_line))
        return Shown(made.shown)

    def _record_claim(self, made, where: str) -> None:
        self.recorder.record(made.key, made.value, made.display, Tolerance(), where)

    def _record_code_claims(self, namespace: dict) -> None:
        """Claims made by code cells (``scratchbook.claim``), in the order they ran."""
        for made in namespace.get(CODE_CLAIMS, []):
            line = made.line
            if self.moved_line is not None and line:
                line = self.moved_line(line)
            where = f"{made.path}:{line}" if made.path == self.post.display_path else made.path
            self._record_claim(made, where)

    def _partial(self, name: str, **context) -> Shown:
        return Shown(self.partials.get_template(f"partials/{name}").render(**context).rstrip("\n"))

    def _file_name(self, name: str, helper: str, extension: str, line: int | None) -> str:
        if not isinstance(name, str) or not FILE_NAME.match(name):
            raise ScratchbookError(
                f"{helper}(): the name {name!r} is not a plain file name",
                hint="use letters, digits, '-' and '_' only: files stay inside "
                     f"figures/{self.front.slug}/")
        file_name = f"{name}.{extension}"
        if file_name in self.file_lines:
            raise ScratchbookError(
                f"{helper}(): figures/{self.front.slug}/{file_name} is already written by "
                f"{self.file_lines[file_name]}", path=self.post.display_path, line=line,
                hint="give each figure and data file of a post its own name")
        self.file_lines[file_name] = self.values.where(line)
        return file_name

    def url(self, file_name: str) -> str:
        """Relative to the page (``<base>/blog/<slug>/``), so it works under any baseURL."""
        return f"../../figures/{self.front.slug}/{file_name}"

    def figure(self, fig, name: str, alt: str | None = None, caption: str = "",
               format: str = "svg", _line: int | None = None, _expr: str = "") -> Shown:
        """Save a matplotlib figure beside the post and show it with alt text and caption."""
        if not isinstance(alt, str) or not alt.strip():
            raise ScratchbookError(
                f"figure(..., {name!r}) has no alt text",
                hint=f'describe the figure for readers who cannot see it: figure(fig, {name!r}, '
                     'alt="Loss falls from 3.2 to 2.1 over 500 steps")')
        if format not in ("svg", "png"):
            raise ScratchbookError(f"figure(): format must be 'svg' or 'png', not {format!r}")
        for label, text in (("alt", alt), ("caption", caption)):
            if "`" in text:
                raise ScratchbookError(f"figure(): the {label} text may not contain a backtick")
        file_name = self._file_name(name, "figure", format, _line)
        self.files[file_name] = (self.figure_memo.render(fig, format) if self.figure_memo
                                 else render_figure(fig, format))
        return self._partial("figure.md.j2", src=self.url(file_name), alt=alt, caption=caption)

    def data_file(self, data, name: str, _line: int | None = None, _expr: str = "") -> Shown:
        """Write JSON beside the figures (for interactive components); returns its URL."""
        file_name = self._file_name(name, "data_file", "json", _line)
        self.files[file_name] = (json.dumps(_plain(data), sort_keys=True, indent=1,
                                            ensure_ascii=False) + "\n").encode("utf-8")
        return Shown(self.url(file_name))

    def _source(self, obj) -> tuple[str, str, int]:
        source = self._lines(obj)
        return "\n".join(source.lines) + "\n", source.path, source.first if source.path else 0

    def _lines(self, obj) -> Source:
        """The dedented lines of a code object (or text), its file and first line."""
        if isinstance(obj, str):
            return plain_source(obj)
        obj = inspect.unwrap(obj)
        try:
            lines, start = inspect.getsourcelines(obj)
            filename = inspect.getsourcefile(obj) or ""
        except (OSError, TypeError) as exc:
            raise ScratchbookError(f"no source for {obj!r}: {exc}",
                                   hint="pass a function or class defined in a .py file") from None
        path = Path(filename)
        if self.moved_line is not None and filename == self.post.display_path:
            start = self.moved_line(start)
        try:
            shown = str(path.resolve().relative_to(self.root))
        except ValueError:
            shown = path.name
        return Source(textwrap.dedent("".join(lines)).splitlines(), start, shown,
                      getattr(obj, "__qualname__", ""), obj)

    def code(self, obj, language: str = "python") -> Shown:
        """The source of a function or class, with the file and lines it comes from."""
        text, path, start = self._source(obj)
        last = start + text.count("\n") - 1 if start else 0
        return self._partial("code.md.j2", code=text.rstrip("\n"), language=language,
                             path=path, first=start, last=last)

    def diff(self, old, new, context: int = 3, also=()) -> Shown:
        """The real change from ``old`` to ``new`` (code objects or texts) as a unified diff.

        Classes are compared member by member (``codediff.py``): what a subclass inherits
        unchanged is named, not shown as deleted. ``also=[Cls, fn]`` shows further code
        the variant needs, in full, as added."""
        if not isinstance(also, (list, tuple)):
            also = [also]
        text = unified(self._lines(old), self._lines(new), [self._lines(obj) for obj in also],
                       context)
        if not text:
            raise ScratchbookError("diff(): the two sources are identical",
                                   hint="diff a variant against the class it changes")
        return self._partial("diff.md.j2", diff=text)

    def table(self, rows, headers=None, formats=None, key: str | None = None,
              _line: int | None = None, _expr: str = "") -> Shown:
        """A markdown table; number cells are formatted by column and recorded in the ledger.

        ``formats`` maps a header (or column index) to a format spec ('.3f', ',', 'pct',
        'pct:2', 'seconds'; 'code' shows text cells as inline code). Every cell shows exactly
        its text: markdown in a text cell is escaped. Rows are sequences, or mappings when ``headers`` is omitted.
        """
        rows = list(rows)
        if headers is None:
            if not rows or not isinstance(rows[0], dict):
                raise ScratchbookError("table(): give headers=, or rows as mappings",
                                       path=self.post.display_path, line=_line)
            headers = list(rows[0])
        headers = [str(h) for h in headers]
        formats = formats or {}
        if isinstance(formats, (list, tuple)):
            formats = dict(zip(headers, formats))
        unknown = [column for column in formats if str(column) not in headers
                   and not (isinstance(column, int) and 0 <= column < len(headers))]
        if unknown:
            raise ScratchbookError(
                f"table(): formats= names the column {unknown[0]!r}, which the table does not "
                f"have", path=self.post.display_path, line=_line,
                hint=f"its columns are: {', '.join(map(repr, headers))}")
        formats = {headers[c] if isinstance(c, int) else str(c): f for c, f in formats.items()}
        name = key or _expr or "table"
        body = []
        for row in rows:
            cells = [row.get(h, "") for h in headers] if isinstance(row, dict) else list(row)
            if len(cells) != len(headers):
                raise ScratchbookError(f"table(): a row has {len(cells)} cells for "
                                       f"{len(headers)} headers", path=self.post.display_path,
                                       line=_line)
            label = str(cells[0])
            shown = []
            for header, cell in zip(headers, cells):
                shown.append(self._cell(cell, formats.get(header, ""), f"{name}[{label}][{header}]",
                                        _line))
            body.append(shown)
        return self._partial("table.md.j2", headers=headers, rows=body)

    def _cell(self, cell, spec, key, line) -> str:
        if isinstance(cell, str) or cell is None:
            if cell is None:
                return ""
            return inline_code(cell) if spec == "code" else inline_text(cell)
        try:
            number = scalar(cell, key)
            display = format_value(number, spec or ("," if isinstance(number, int) else ""))
        except (TypeError, ValueError) as exc:
            raise ScratchbookError(f"table(): cell {key}: {exc}", path=self.post.display_path,
                                   line=line) from None
        tol = Tolerance("timing", DEFAULT_TIMING_FACTOR) if spec == "seconds" else Tolerance()
        fmt = spec or ("," if isinstance(number, int) else "")
        return inline_text(self.recorder.record(key, number, display, tol, self.values.where(line),
                                                render=lambda v: format_value(v, fmt)))

    # ---- rendering

    def _load_prose(self, name: str):
        return self._prose_sources[name], self.post.display_path, lambda: True

    def render_prose(self, cell: Cell, namespace: dict) -> str:
        # Padding with blank lines makes template line numbers the post's own line numbers.
        name = f"prose@{cell.first_line}"
        source = "\n" * (cell.first_line - 1) + cell.source
        context = {**namespace, **self.helpers()}
        try:
            self._prose_sources[name] = prepare_prose(self.prose, source, self.post.display_path)
            template = self.prose.get_template(name)
            text = template.render(context)
        except ScratchbookError as exc:
            if exc.path is None:
                exc.path, exc.line = self.post.display_path, _template_line(exc, self.post) or cell.first_line
            raise
        except jinja2.TemplateSyntaxError as exc:
            raise syntax_error(exc, source, self.post.display_path) from None
        except jinja2.UndefinedError as exc:
            line = _template_line(exc, self.post) or cell.first_line
            what = "uses an undefined name" if str(exc.message).endswith("is undefined") else "asks"
            raise ScratchbookError(f"prose {what}: {exc.message}", path=self.post.display_path,
                                   line=line, hint=getattr(exc, "hint", None) or
                                   "define it in a code cell above, or fix the spelling"
                                   ) from None
        except Exception as exc:
            line = _template_line(exc, self.post) or cell.first_line
            raise ScratchbookError(f"prose failed: {type(exc).__name__}: {exc}",
                                   path=self.post.display_path, line=line) from None
        return text.lstrip("\n")

    def render_code(self, cell: Cell, output: str) -> str:
        tags = set(cell.tags)
        parts = []
        if not cell.active or not (cell.source.strip() or output.strip()):
            return ""          # a notebook-only cell (active="ipynb"), or an empty one
        if not tags & HIDE_INPUT:
            parts.append(self._partial("code.md.j2", code=cell.source, language="python",
                                       path="", first=0, last=0))
        if output.strip() and not tags & HIDE_OUTPUT:
            if runtext.STABLE_TAG not in tags:
                self._refuse_run_dependent(cell, output)
            parts.append(self._partial("output.md.j2", output=output.rstrip("\n")))
        return "\n\n".join(parts)

    def _refuse_run_dependent(self, cell: Cell, output: str) -> None:
        """A shown output is published verbatim and checked byte for byte: text that a second
        run would print differently (see :mod:`.runtext`) would make the page stale at once."""
        found = runtext.find(output, self.root)
        if found:
            raise ScratchbookError(
                f"the output of this cell shows {found.what}, '{found.text}' (in the line "
                f"'{shorten(found.line, 80)}'), which would differ on the next run, so the page "
                "could never be regenerated",
                path=self.post.display_path, line=cell.first_line,
                hint=f"{found.advice}; or tag the cell 'hide-output' to keep it off the page. "
                     f"If the text is the same on every run (a simulated clock, a date in the "
                     f"data), tag the cell '{runtext.STABLE_TAG}' (check still compares it)")

    def weave(self, namespace: dict, outputs: dict[int, str]) -> Woven:
        if self.figure_memo is not None:
            self.figure_memo.begin(namespace)
        self._record_code_claims(namespace)
        blocks, lines, line = [], [], 1
        for index, cell in enumerate(self.post.cells):
            if cell.kind != "code" and (set(cell.tags) & REMOVE_CELL or not cell.active):
                continue   # removed, or a notebook-only cell (active="ipynb")
            if cell.kind == "markdown":
                text = self.render_prose(cell, namespace)
            elif cell.kind == "raw":
                text = cell.source        # raw cells reach Hugo as written (no Jinja)
            else:
                text = self.render_code(cell, outputs.get(index, ""))
            if text.strip():
                blocks.append(text.strip("\n"))
                lines.append((line, cell.first_line))
                line += blocks[-1].count("\n") + 2
        body = "\n\n".join(blocks) + "\n"
        page = self.partials.get_template("post.md.j2").render(
            front_matter=self.front.as_hugo(), body=body)
        offset = page[:page.index(body)].count("\n")   # body lines follow the front matter
        return Woven(page, dict(self.files), dict(self.recorder.entries), dict(self.file_lines),
                     [(first + offset, cell_line) for first, cell_line in lines])


def _template_line(exc: BaseException, post: Post) -> int | None:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == post.display_path:
            return tb.tb_lineno
        tb = tb.tb_next
    return None


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return json.dumps([str(item) for item in value], ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float):
        return round(value, 6)
    return value


def render_figure(fig, format: str = "svg") -> bytes:
    """Bytes of a figure that are the same on every build (no dates, fixed ids)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "scratchbook", "svg.fonttype": "none"}):
        metadata = {"Date": None} if format == "svg" else {"Software": None}
        fig.savefig(buffer, format=format, metadata=metadata, bbox_inches="tight")
    return buffer.getvalue()
