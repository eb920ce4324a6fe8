"""What the YAML files a council writes (settings, finance settings, targets, commentary) share:
the ``kind`` line that says what a file is, and a validation failure said for people, one
problem after another, each with where in the file it is. Reading a file within bounds is
:func:`cscperf.limits.load_yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError

from cscperf.errors import ConfigError
from cscperf.limits import load_yaml

Model = TypeVar("Model", bound=BaseModel)


def kind_is(expected: str) -> AfterValidator:
    """The check of a file's ``kind`` field, ``kind: Annotated[str, kind_is(KIND)] = KIND``:
    any other value fails with "must be 'KIND'"."""

    def check(value: str) -> str:
        if value != expected:
            raise ValueError(f"must be {expected!r}")
        return value

    return AfterValidator(check)


def validation_problems(exc: ValidationError, *, top: str = "") -> str:
    """Every problem of ``exc`` as ``where: what``, joined by "; " (``where`` is the dotted
    path of keys and list positions, ``top`` when the problem is with the whole)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or top}: {err['msg']}" for err in exc.errors()
    )


def load_mapping(path: Path, model: type[Model], what: str) -> Model:
    """The YAML mapping in ``path`` as ``model``; ``what`` names the file's content in the
    messages ("settings": "a settings file must be a YAML mapping", "settings are not
    valid: ...")."""
    raw = load_yaml(path, f"{what} file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a {what} file must be a YAML mapping")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {what} are not valid: {validation_problems(exc)}") from exc
