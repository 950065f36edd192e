"""Every route of the URL conf, with the HTTP methods its view answers.

Found by walking ``get_resolver().url_patterns`` (no hand-kept list): a route is the
concatenation of its resolvers' patterns, e.g. ``me/reminders/<int:pk>/edit/``.
Methods: a DRF viewset's routed actions; a class-based view's (DRF or Django) handler
methods allowed by its ``http_method_names``; a function view's
``require_http_methods`` list, found on the decorator chain (``__wrapped__`` and
closures), or GET and POST when it restricts nothing. HEAD and OPTIONS are left out:
Django and DRF answer them for every view that answers GET.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "api/v1/me/reminders/<int:pk>/"
    name: str | None  # namespaced, e.g. "reminders:edit"
    callback: Callable
    pattern: URLPattern

    @property
    def view(self) -> str:
        cls = view_class(self.callback)
        target = cls or self.callback
        return f"{target.__module__}.{target.__qualname__}"


def view_class(callback: Callable) -> type | None:
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _walk(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Route(prefix + str(entry.pattern), name, entry.callback, entry)


def all_routes() -> list[Route]:
    """Every route in resolution order (a later route with the same pattern as an earlier
    one is shadowed: it can never be reached)."""
    return list(_walk(get_resolver().url_patterns))


def _restricted_methods(func: Callable) -> set[str] | None:
    """The list given to ``require_http_methods`` somewhere on the decorator chain."""
    seen: set[int] = set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(isinstance(v, str) and v in {*METHODS, "HEAD", "OPTIONS"} for v in value)
            ):
                return {v for v in value if v in METHODS}
        func = getattr(func, "__wrapped__", None)
    return None


def methods_of(route: Route) -> tuple[str, ...]:
    callback = route.callback
    cls = view_class(callback)
    actions = getattr(callback, "actions", None)
    if cls is not None:
        allowed = {m.upper() for m in cls.http_method_names}
        if actions:  # a DRF viewset: the router's method -> action map
            found = {m.upper() for m in actions} & allowed
        else:
            found = {m for m in METHODS if m in allowed and hasattr(cls, m.lower())}
    else:
        found = _restricted_methods(callback) or {"GET", "POST"}
    return tuple(m for m in METHODS if m in found)
