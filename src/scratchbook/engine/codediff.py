"""The diff a post shows between a baseline class and its variant: only the real change.

A variant usually subclasses the baseline and redefines a few members. A text diff of the
two class bodies would show every inherited line as deleted; here the classes are compared
member by member (``ast`` finds the members, ``difflib`` diffs them):

- the class statement and docstring are diffed against the base's;
- a method or class attribute the variant redefines is diffed against the base's version;
- a member only the variant has is shown as added, where the variant defines it;
- what the variant inherits unchanged is not shown as deleted; a note above the diff names it;
- a method that calls ``super().<same name>(...)`` as a statement runs the base's body at
  that point, so the base's body is shown there as context, and an assignment after the
  call that replaces one of the base's (``self.ffn = MoE(config)``) is shown in its place.

Classes the variant needs that the base does not have are passed as ``also=[...]`` and shown
in full as added, each under its own ``+++`` header, as a new file would be.

Every ``@@`` header gives real line numbers: ``-`` lines of the base's file, ``+`` lines of
the variant's. A context line from the base's body (reached through ``super()``) counts for
the base only.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    text: str
    number: int | None   # the line in its own file; None: a base line shown on the new side


@dataclass
class Source:
    """One code object's lines (dedented) with their real line numbers."""

    lines: list[str]
    first: int           # real number of lines[0] (1 for a plain text)
    path: str            # as shown in the diff header ("" for a plain text)
    name: str            # qualified name ("" for a plain text)
    obj: object = None

    def numbered(self, start: int, stop: int) -> list[Line]:
        """Lines ``start``..``stop`` (1-based within the source, inclusive)."""
        return [Line(self.lines[i - 1], self.first + i - 1) for i in range(start, stop + 1)]

    @property
    def label(self) -> str:
        return f"{self.path}: {self.name}" if self.path else self.name


@dataclass
class Member:
    key: str              # name (a method, class attribute) or the statement's text
    start: int            # first line of its chunk (leading blank lines and comments included)
    stop: int
    node: ast.stmt | None = None


@dataclass
class Hunk:
    rows: list[tuple[str, str, int | None, int | None]] = field(default_factory=list)
    old_anchor: int = 0   # the old line after which a hunk with no old lines goes
    new_anchor: int = 0

    def numbers(self, side: int) -> list[int]:
        return [row[side] for row in self.rows if row[side] is not None]

    def span(self, side: int) -> tuple[int, int]:
        """(the line before the hunk, its last line) on one side (2: old, 3: new)."""
        numbers = self.numbers(side)
        anchor = self.old_anchor if side == 2 else self.new_anchor
        return (numbers[0] - 1, numbers[-1]) if numbers else (anchor, anchor)

    def header(self) -> str:
        def part(side):
            numbers = self.numbers(side)
            if not numbers:
                return f"{self.span(side)[0]},0"
            return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]},{len(numbers)}"
        return f"@@ -{part(2)} +{part(3)} @@"


# --------------------------------------------------------------------------- members

def _parse(source: Source) -> ast.AST | None:
    try:
        tree = ast.parse("\n".join(source.lines))
    except SyntaxError:
        return None
    return tree.body[0] if len(tree.body) == 1 else None


def _docstring(node) -> ast.stmt | None:
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _key(node: ast.stmt, lines: list[str]) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
    if targets and isinstance(targets[0], ast.Name):
        return targets[0].id
    return "\n".join(line.strip() for line in lines[node.lineno - 1:node.end_lineno])


def members(source: Source, node: ast.ClassDef) -> tuple[int, list[Member]]:
    """The last line of the class statement and docstring, and the members after it."""
    doc = _docstring(node)
    body = node.body[1:] if doc else node.body
    header_end = doc.end_lineno if doc else (_start(body[0]) - 1 if body else len(source.lines))
    found, previous, seen = [], header_end, {}
    for statement in body:
        key = _key(statement, source.lines)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:                      # a property's setter, say: its own member
            key = f"{key}#{seen[key]}"
        found.append(Member(key, previous + 1, statement.end_lineno, statement))
        previous = statement.end_lineno
    return header_end, found


# --------------------------------------------------------------------------- super()

def _super_call(node: ast.stmt, name: str) -> bool:
    """``super().<name>(...)`` as a statement."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == name
            and isinstance(node.value.func.value, ast.Call)
            and isinstance(node.value.func.value.func, ast.Name)
            and node.value.func.value.func.id == "super")


def _assigned_attribute(node: ast.stmt) -> str | None:
    """``x`` for ``self.x = ...`` (any first-argument name)."""
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, ast.AnnAssign) else []
    if len(targets) == 1 and isinstance(targets[0], ast.Attribute) \
            and isinstance(targets[0].value, ast.Name):
        return targets[0].attr
    return None


def _extended(old: Source, old_member: Member, new: Source, new_member: Member) -> list[Line]:
    """The variant's method as it runs: its own lines, with the base's body where it calls
    ``super()``; the base's lines carry no number on the new side."""
    new_lines = new.numbered(new_member.start, new_member.stop)
    old_node, new_node = old_member.node, new_member.node
    function = (ast.FunctionDef, ast.AsyncFunctionDef)
    if not (isinstance(old_node, function) and isinstance(new_node, function)):
        return new_lines
    call = next((s for s in new_node.body if _super_call(s, new_node.name)), None)
    if call is None:
        return new_lines
    doc = _docstring(old_node)
    body = [s for s in old_node.body if s is not doc and not _super_call(s, old_node.name)]
    after = new_node.body[new_node.body.index(call) + 1:]
    replaced = {}   # the base's statement -> the variant's statement assigning the same attribute
    for statement in after:
        attribute = _assigned_attribute(statement)
        target = next((s for s in body if attribute and _assigned_attribute(s) == attribute
                       and s not in replaced), None)
        if target is not None:
            replaced[target] = statement
    inherited: list[Line] = []
    for statement in body:
        if statement in replaced:
            mine = replaced[statement]
            inherited += new.numbered(mine.lineno, mine.end_lineno)
        else:
            inherited += [Line(line.text, None)
                          for line in old.numbered(statement.lineno, statement.end_lineno)]
    moved = set().union(*(range(s.lineno, s.end_lineno + 1) for s in replaced.values()))
    head = [line for line in new_lines if line.number < new.first + call.end_lineno]
    tail = [line for line in new_lines if line.number >= new.first + call.end_lineno
            and line.number - new.first + 1 not in moved]
    return head + inherited + tail


# --------------------------------------------------------------------------- hunks

def _hunks(old: list[Line], new: list[Line], context: int, old_before: int,
           new_before: int) -> list[Hunk]:
    matcher = difflib.SequenceMatcher(None, [line.text for line in old],
                                      [line.text for line in new], autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        _, i1, _, j1, _ = group[0]
        earlier = [line.number for line in new[:j1] if line.number is not None]
        hunk = Hunk(old_anchor=old[i1 - 1].number if i1 else old_before,
                    new_anchor=earlier[-1] if earlier else new_before)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk.rows += [(" ", o.text, o.number, n.number)
                              for o, n in zip(old[i1:i2], new[j1:j2])]
                continue
            hunk.rows += [("-", o.text, o.number, None) for o in old[i1:i2]]
            hunk.rows += [("+", n.text, None, n.number) for n in new[j1:j2]]
        hunks.append(hunk)
    return hunks


def _joined(hunks: list[Hunk]) -> list[Hunk]:
    """Hunks that follow each other on both sides become one."""
    out: list[Hunk] = []
    for hunk in hunks:
        if out and all(out[-1].span(side)[1] == hunk.span(side)[0] for side in (2, 3)):
            out[-1].rows += hunk.rows
        else:
            out.append(hunk)
    return out


def _render(hunks: list[Hunk]) -> list[str]:
    lines = []
    for hunk in hunks:
        lines.append(hunk.header())
        lines += [sign + text for sign, text, _, _ in hunk.rows]
    return lines


# --------------------------------------------------------------------------- the diff

def class_hunks(old: Source, new: Source, context: int) -> tuple[list[Hunk], list[str]]:
    """Hunks of a member-by-member diff, and the members the variant inherits unchanged."""
    old_node, new_node = _parse(old), _parse(new)
    if not (isinstance(old_node, ast.ClassDef) and isinstance(new_node, ast.ClassDef)):
        return _hunks(old.numbered(1, len(old.lines)), new.numbered(1, len(new.lines)),
                      context, old.first - 1, new.first - 1), []
    old_header, old_members = members(old, old_node)
    new_header, new_members = members(new, new_node)
    by_key = {member.key: member for member in old_members}
    hunks = _hunks(old.numbered(1, old_header), new.numbered(1, new_header), context,
                   old.first - 1, new.first - 1)
    old_end, new_end = old.first + old_header - 1, new.first + new_header - 1
    for member in new_members:
        base = by_key.get(member.key)
        if base is None:    # added where the variant defines it
            hunks += _hunks([], new.numbered(member.start, member.stop), context,
                            old_end, new_end)
        else:
            hunks += _hunks(old.numbered(base.start, base.stop),
                            _extended(old, base, new, member), context,
                            old.first + base.start - 2, new.first + member.start - 2)
            old_end = old.first + base.stop - 1
        new_end = new.first + member.stop - 1
    redefined = {member.key for member in new_members}
    subclass = isinstance(old.obj, type) and isinstance(new.obj, type) \
        and issubclass(new.obj, old.obj)
    inherited = []
    for member in old_members:
        if member.key in redefined:
            continue
        if subclass:
            inherited.append(member.key)
        else:               # not a subclass: a member it lacks is really gone
            hunks += _hunks(old.numbered(member.start, member.stop), [], context,
                            old.first + member.start - 2, new_end)
    hunks.sort(key=lambda hunk: (hunk.span(3)[0], hunk.span(2)[0]))
    return _joined(hunks), inherited


def unified(old: Source, new: Source, also: list[Source], context: int = 3) -> str:
    """The diff text, or "" when there is no change to show."""
    hunks, inherited = class_hunks(old, new, context)
    lines = []
    if inherited:
        lines.append(f"{new.name} inherits from {old.name} unchanged: {', '.join(inherited)}")
    if hunks:
        lines += [f"--- {old.label or 'a'}", f"+++ {new.label or 'b'}"] + _render(hunks)
    for extra in also:
        added = _hunks([], extra.numbered(1, len(extra.lines)), context, 0, extra.first - 1)
        lines += ["--- /dev/null", f"+++ {extra.label or 'b'}"] + _render(added)
    return "\n".join(lines) if hunks or also else ""


def plain_source(text: str) -> Source:
    return Source(textwrap.dedent(text).splitlines(), 1, "", "")
