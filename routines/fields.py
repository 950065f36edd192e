"""Form fields of the library shared by the editor's pages and the admin."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

STATEMENT_MAX_LENGTH = 300
STATEMENTS_MAX = 20


def statements_from_text(text: str) -> list[str]:
    """One statement per non-empty line, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def statements_check(statements: Sequence[str]) -> None:
    """The rules of a contraindication checklist, with messages for the editor."""
    if len(statements) > STATEMENTS_MAX:
        raise ValidationError(
            _("Keep the checklist to %(max)s statements at most."),
            code="too_many_statements",
            params={"max": STATEMENTS_MAX},
        )
    for number, statement in enumerate(statements, start=1):
        if len(statement) > STATEMENT_MAX_LENGTH:
            raise ValidationError(
                _("Statement %(number)s is longer than %(max)s characters: please shorten it."),
                code="statement_too_long",
                params={"number": number, "max": STATEMENT_MAX_LENGTH},
            )


class StatementsField(forms.CharField):
    """A list of short statements edited as a textarea, one statement per line (never JSON)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "One statement per line. Members confirm each one before their first session "
                "of this series."
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        return statements_from_text(str(value or ""))

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        statements_check(value)

    def run_validators(self, value: list[str]) -> None:
        for statement in value:
            super().run_validators(statement)

    def has_changed(self, initial: object, data: object) -> bool:
        return self.to_python(initial) != self.to_python(data)
