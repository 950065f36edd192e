import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# In the tz database but not places: "Factory" (a placeholder zone) and "localtime" (the
# host's own setting, which some systems list).
NOT_PLACES = frozenset({"Factory", "localtime", "posixrules"})


@cache
def timezone_names() -> frozenset[str]:
    """The IANA zone names members may choose (``Europe/London``, ``UTC``...)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def validate_timezone(value: str) -> None:
    """Accept IANA zone names only (``Europe/London``), never offsets or abbreviations."""
    if value not in timezone_names():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Use a name such as Europe/London "
            "or America/New_York.",
            code="invalid_timezone",
            params={"value": value},
        )
