"""The cells of the permission matrix: how an answer is written, and how a cell is
asked and judged (see ``test_permission_matrix`` for the table and the rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from tests.permissions.routes import Route
from tests.permissions.world import World

LOGIN = "LOGIN"
ADMIN_LOGIN = "ADMIN_LOGIN"
OK = "OK"
ALLOWED = {200, 201, 204, 302, 400}

Expect = int | str
Cells = tuple[Expect, Expect, Expect, Expect, Expect]  # in the order of ROLES
Params = Callable[[World], dict[str, object]]


@dataclass(frozen=True)
class Row:
    params: Params  # the path's parameters, from the world
    methods: dict[str, Cells]


def row(params: Params | None = None, **methods: Cells) -> Row:
    return Row(params or (lambda w: {}), methods)


def same(cells: Cells, *methods: str) -> dict[str, Cells]:
    return dict.fromkeys(methods, cells)


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def path_of(route: Route, params: dict[str, object]) -> str:
    """The route's pattern with its parameters filled in, as a path."""
    text = _GROUP.sub(lambda m: str(params[m.group(1)]), route.route)
    text = _CONVERTER.sub(lambda m: str(params[m.group(1)]), text)
    return "/" + text.replace("^", "").replace("$", "").replace("\\", "")


def _is_login(location: str, login: str) -> bool:
    return location.split("?")[0].endswith(login)


def check(response, expected: Expect) -> str | None:
    """What is wrong with ``response`` for ``expected``, or None."""
    status = response.status_code
    location = response.get("Location", "")
    login = reverse(settings.LOGIN_URL)
    admin_login = reverse("admin:login")
    to_login = status == 302 and (_is_login(location, login) or _is_login(location, admin_login))
    if status >= 500:
        return f"{status} (a server error)"
    if expected == LOGIN:
        return None if status == 302 and _is_login(location, login) else f"{status} {location}"
    if expected == ADMIN_LOGIN:
        ok = status == 302 and _is_login(location, admin_login)
        return None if ok else f"{status} {location}"
    if expected == OK:
        return None if status in ALLOWED and not to_login else f"{status} {location}"
    if status != expected or (status == 302 and to_login):
        return f"{status} {location}".strip()
    if status == 401 and not response.get("WWW-Authenticate", "").startswith("Token"):
        return "401 without WWW-Authenticate: Token"
    return None


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def request(world: World, route: Route, path: str, method: str, role: str):
    """Pages with the role's session; the API with its token. Writes send an empty body
    (form or JSON): what is asked is the permission, not the input."""
    is_api = route.route.startswith("api/v1/")
    client = world.page_client("anonymous" if is_api else role)
    call = getattr(client, method.lower())
    headers = world.api_headers(role) if is_api else {}
    if is_api and method != "GET":
        return call(path, {}, content_type="application/json", **headers)
    if method == "POST":
        return call(path, {}, **headers)
    return call(path, **headers)
