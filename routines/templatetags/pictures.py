"""Template tags of the pictures (routines/pictures.py): place a picture, and, inside the
drawings, name a region (``{% region %}``) or paint a shape as part of one (``{% paint %}``).

A step's picture and a series' cover are the same markup for the same inputs (the
area, the body parts' slugs, the side, the ids' prefix, the language; for a cover, its
uploaded file), so each process renders one once and reuses it (``_rendered``): the
library, a routine and the player show several on every visit. With ``DEBUG`` on they
are rendered every time, so an edited drawing shows at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.conf import settings
from django.template.context import Context
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from routines import pictures
from routines.models import Series, Step

register = template.Library()


def _paint(picture: pictures.Picture, slug: str) -> tuple[str, str]:
    """(class, fill) of a shape belonging to region ``slug``: hatched when highlighted
    (the fill names the picture's own pattern), shaded on a map, else plain."""
    classes = ["pic-region"]
    fill = ""
    if picture.is_highlighted(slug):
        classes.append("is-highlighted")
        fill = f"url(#{picture.uid}hatch)"
    level = picture.levels.get(slug)
    if level is not None:
        classes.append(f"pic-level-{level}")
    return " ".join(classes), fill


@register.simple_tag(takes_context=True)
def region(context: Context, slug: str, extra_class: str = "") -> SafeString:
    """The attributes of a region's element: ``<path {% region "thenar" %} d="…"/>``."""
    picture: pictures.Picture = context["picture"]
    classes, fill = _paint(picture, slug)
    classes = f"{classes} {extra_class}".strip()
    if fill:
        return format_html(
            'id="{}region-{}" data-region="{}" class="{}" fill="{}"',
            picture.uid,
            slug,
            slug,
            classes,
            fill,
        )
    return format_html(
        'id="{}region-{}" data-region="{}" class="{}"', picture.uid, slug, slug, classes
    )


@register.simple_tag(takes_context=True)
def paint(context: Context, slug: str, extra_class: str = "") -> SafeString:
    """The attributes of one more shape of a region (a finger of "fingers")."""
    classes, fill = _paint(context["picture"], slug)
    classes = f"{classes} {extra_class}".strip()
    if fill:
        return format_html('class="{}" fill="{}"', classes, fill)
    return format_html('class="{}"', classes)


def _slugs(step_or_parts: Any) -> list[str]:
    return [part.slug for part in step_or_parts]


MEMO_MAX = 2048  # entries per process; a few hundred exist (steps' areas x sides x pages)
_memo: dict[tuple, SafeString] = {}


def _rendered(key: tuple, template_name: str, context: Callable[[], dict[str, Any]]) -> SafeString:
    """``template_name`` rendered with ``context()``, once per ``key`` and language (which
    must name everything the markup depends on) in this process."""
    key = (template_name, *key, get_language())
    html = None if settings.DEBUG else _memo.get(key)
    if html is None:
        html = mark_safe(render_to_string(template_name, context()))  # noqa: S308 (a template)
        if not settings.DEBUG and len(_memo) < MEMO_MAX:
            _memo[key] = html
    return html


@register.simple_tag
def step_picture(
    step: Step, body_parts: Iterable, side: str = "", uid: str = "", compact: bool = False
) -> SafeString:
    """Where ``step`` works, on the outline of one of ``body_parts`` (the series').

    A ``uid`` prefix (for pages with several pictures) is made unique with the step's
    position: ``uid="step-"`` gives ids such as ``step-3-region-thenar``."""
    slugs = tuple(_slugs(body_parts))
    uid = f"{uid}{step.position}-" if uid else ""
    return _rendered(
        ("step", step.area, slugs, side, uid, bool(compact)),
        "routines/pictures/picture.html",
        lambda: {
            "picture": pictures.step_picture(
                area=step.area, body_part_slugs=slugs, side=side, uid=uid
            ),
            "compact": compact,
        },
    )


@register.inclusion_tag("routines/pictures/picture.html")
def area_picture(
    body_part_slug: str, area: str = "", side: str = "", uid: str = ""
) -> dict[str, Any]:
    """A region of a body part's outline, e.g. for a region picker's preview."""
    picture = pictures.step_picture(area=area, body_part_slugs=[body_part_slug], side=side, uid=uid)
    return {"picture": picture, "compact": False}


@register.simple_tag
def series_cover(series: Series, uid: str = "") -> SafeString:
    """The uploaded cover, or one drawn from the series' body part outlines."""
    parts = sorted(series.body_parts.all(), key=lambda part: (part.position, part.name))
    slugs = tuple(_slugs(parts))
    uid = uid or f"cover-{series.slug}-"
    cover = (series.cover.name, series.cover_alt) if series.cover else ("", "")
    return _rendered(
        ("cover", slugs, uid, *cover),
        "routines/pictures/cover.html",
        lambda: {
            "series": series,
            "picture": pictures.cover_picture(body_part_slugs=slugs, uid=uid),
        },
    )


@register.inclusion_tag("routines/pictures/map.html")
def body_map(parts: Iterable[dict]) -> dict[str, Any]:
    """The dashboard's minutes per body part on the whole body."""
    return {"picture": pictures.body_map(minutes={p["slug"]: p["minutes"] for p in parts})}


@register.inclusion_tag("routines/pictures/map.html")
def tension_map(body_parts: Iterable, values: dict | None = None) -> dict[str, Any]:
    """The session's body parts on the whole body, for tension before and after."""
    return {
        "picture": pictures.tension_map(body_part_slugs=_slugs(body_parts), values=values),
    }
