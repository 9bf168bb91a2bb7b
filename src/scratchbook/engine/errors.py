"""Errors meant for people: what happened, where (file:line), what to do next."""

from __future__ import annotations


class ScratchbookError(Exception):
    """An error in a post or in the project that the author can fix.

    ``where`` is ``path:line`` (or just ``path``); ``hint`` says what to do next.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class CellError(ScratchbookError):
    """A code cell raised; ``trace`` holds the traceback cut down to the project's frames."""

    def __init__(self, message: str, *, path: str, line: int, trace: str):
        super().__init__(message, path=path, line=line)
        self.trace = trace

    def __str__(self) -> str:
        return f"{self.where}: {self.message}\n{self.trace}"
