"""Errors meant for people.

Anything raised as a :class:`CscperfError` is shown by the CLI as one sentence, without a
traceback, and ends the program with exit code 1. Programming errors are other exceptions;
the CLI reports them as internal errors and ``--debug`` shows the traceback.
"""

from __future__ import annotations


class CscperfError(Exception):
    """A failure the user can act on: the message says what is wrong, where, and what to do."""

    exit_code = 1


class InputError(CscperfError):
    """Input data that cannot be read or does not follow its specification."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field}" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(CscperfError):
    """A configuration file (settings, targets, catalogue override) that is not valid."""


class StoreError(CscperfError):
    """A store or build that is missing, locked or damaged."""
