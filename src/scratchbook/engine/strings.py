"""Is a line of Python inside a string? (Jupytext's ``StringParser``, for Python only.)

A ``# %%`` line inside a triple-quoted string is text, not a cell marker; reading the
quotes line by line, the way Jupytext does, keeps the two readers in agreement.
"""

from __future__ import annotations


class StringParser:
    def __init__(self) -> None:
        self.single: str | None = None
        self.triple: str | None = None
        self.triple_start = -1

    def is_quoted(self) -> bool:
        return bool(self.single or self.triple)

    def read_line(self, line: str) -> None:
        if not self.is_quoted() and line.lstrip().startswith("#"):
            return
        self.triple_start = -1
        for i, char in enumerate(line):
            if self.single is None and self.triple is None and char == "#":
                break
            if char not in "\"'":
                continue
            if line[i - 1:i] == "\\":
                continue
            if self.single == char:
                self.single = None
                continue
            if self.single is not None:
                continue
            if line[i - 2:i + 1] == 3 * char and i >= self.triple_start + 3:
                if self.triple == char:
                    self.triple = None
                    self.triple_start = i
                    continue
                if self.triple is not None:
                    continue
                self.triple = char
                self.triple_start = i
                continue
            if self.triple is not None:
                continue
            self.single = char
        self.single = None
