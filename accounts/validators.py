import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """Accept IANA zone names only (``Europe/London``), never offsets or abbreviations."""
    if value not in timezone_names():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Use a name such as Europe/London "
            "or America/New_York.",
            code="invalid_timezone",
            params={"value": value},
        )
