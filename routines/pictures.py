"""Pictures of where a step works: one hand-drawn SVG outline per body part, with named regions.

Each outline is drawn once, as a template fragment under ``templates/routines/pictures/``
(``hands.svg``, ``feet.svg``, ``arms.svg``, and ``body.svg`` for the whole body). Each view
of it (a hand's palm and back...) draws its regions as elements with the id
``<prefix>region-<slug>`` (``{% region %}`` and ``{% paint %}`` in
``routines/templatetags/pictures.py``); a region may contain others (the palm holds the
thenar...). This module knows the regions of every outline; ``Step.area`` names one of them.

- ``regions_for(body_part_slug)`` lists them for a picker, e.g. the editor's step form;
- ``step_picture``, ``cover_picture``, ``body_map`` describe a picture to render: which
  drawing and view, what is highlighted or shaded, and its text alternative.

The highlight is a hatch pattern with a thick outline, never colour alone, and every
picture says in words what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Region:
    slug: str
    name: Promise  # in a list or picker: "Thenar (base of the thumb)"
    description: Promise  # in a sentence: "the thenar area at the base of the thumb"
    view: str
    parent: str = ""


@dataclass(frozen=True)
class View:
    slug: str
    label: Promise  # "palm"
    width: int
    height: int


@dataclass(frozen=True)
class Outline:
    """One drawing: a body part (or the whole body) in one or more views."""

    slug: str
    template: str
    noun: Promise  # "hand": "Right hand", "Drawing of a hand"
    views: tuple[View, ...]
    regions: tuple[Region, ...]

    def region(self, slug: str) -> Region | None:
        return next((r for r in self.regions if r.slug == slug), None)

    def view(self, slug: str) -> View:
        return next(v for v in self.views if v.slug == slug)

    def lineage(self, slug: str) -> tuple[str, ...]:
        """The region and the regions that contain it, innermost first."""
        chain = []
        region = self.region(slug)
        while region is not None:
            chain.append(region.slug)
            region = self.region(region.parent)
        return tuple(chain)


HANDS = Outline(
    slug="hands",
    template="routines/pictures/hands.svg",
    noun=_("hand"),
    views=(View("palm", _("palm"), 200, 260), View("back", _("back"), 200, 260)),
    regions=(
        Region("palm", _("Palm"), _("the whole palm"), "palm"),
        Region(
            "thenar",
            _("Thenar (base of the thumb)"),
            _("the thenar area at the base of the thumb"),
            "palm",
            "palm",
        ),
        Region(
            "hypothenar",
            _("Hypothenar (little-finger side)"),
            _("the hypothenar area on the little-finger side of the palm"),
            "palm",
            "palm",
        ),
        Region("palm-centre", _("Centre of the palm"), _("the centre of the palm"), "palm", "palm"),
        Region("heel", _("Heel of the hand"), _("the heel of the hand"), "palm", "palm"),
        Region("fingers", _("Fingers and thumb"), _("the fingers and thumb"), "palm"),
        Region("wrist", _("Wrist"), _("the wrist"), "palm"),
        Region("whole-hand", _("Whole hand"), _("the whole hand"), "back"),
        Region(
            "back-of-hand", _("Back of the hand"), _("the back of the hand"), "back", "whole-hand"
        ),
        Region(
            "grooves",
            _("Grooves between the bones"),
            _("the grooves between the bones on the back of the hand"),
            "back",
            "whole-hand",
        ),
        Region(
            "finger-joints",
            _("Finger joints"),
            _("the joints of the fingers and thumb"),
            "back",
            "whole-hand",
        ),
    ),
)

FEET = Outline(
    slug="feet",
    template="routines/pictures/feet.svg",
    noun=_("foot"),
    views=(View("sole", _("sole"), 200, 260), View("top", _("top"), 200, 260)),
    regions=(
        Region("sole", _("Sole"), _("the whole sole"), "sole"),
        Region("ball", _("Ball of the foot"), _("the ball of the foot"), "sole", "sole"),
        Region("arch", _("Arch"), _("the arch"), "sole", "sole"),
        Region("heel", _("Heel"), _("the heel"), "sole", "sole"),
        Region("toes", _("Toes"), _("the toes"), "sole"),
        Region("whole-foot", _("Whole foot"), _("the whole foot"), "top"),
        Region("instep", _("Top of the foot"), _("the top of the foot"), "top", "whole-foot"),
        Region("ankle", _("Ankle"), _("the ankle"), "top", "whole-foot"),
    ),
)

ARMS = Outline(
    slug="arms",
    template="routines/pictures/arms.svg",
    noun=_("arm"),
    views=(View("forearm", _("palm up"), 160, 300), View("arm", _("from the side"), 160, 300)),
    regions=(
        Region("forearm", _("Forearm"), _("the forearm, from wrist to elbow"), "forearm"),
        Region(
            "forearm-muscles",
            _("Forearm muscles below the elbow"),
            _("the fleshy forearm muscles just below the elbow"),
            "forearm",
            "forearm",
        ),
        Region("elbow", _("Elbow"), _("the elbow"), "forearm"),
        Region("whole-arm", _("Whole arm"), _("the whole arm, from wrist to shoulder"), "arm"),
        Region(
            "upper-arm",
            _("Upper arm"),
            _("the upper arm, from elbow to shoulder"),
            "arm",
            "whole-arm",
        ),
        Region("lower-arm", _("Lower arm"), _("the lower arm"), "arm", "whole-arm"),
    ),
)

# The whole body from behind, one region per body part of the library (by its slug).
BODY = Outline(
    slug="body",
    template="routines/pictures/body.svg",
    noun=_("body"),
    views=(View("back", _("seen from behind"), 200, 300),),
    regions=(
        Region("face-scalp", _("Face and scalp"), _("the face and scalp"), "back"),
        Region("neck-shoulders", _("Neck and shoulders"), _("the neck and shoulders"), "back"),
        Region("back", _("Back"), _("the back"), "back"),
        Region("arms", _("Arms"), _("the arms"), "back"),
        Region("hands", _("Hands"), _("the hands"), "back"),
        Region("feet", _("Feet"), _("the feet"), "back"),
    ),
)

OUTLINES = {outline.slug: outline for outline in (HANDS, FEET, ARMS)}

# Where the body map writes each part's figures: the point it points from, and its line.
BODY_LABELS = {
    "face-scalp": (118, 24),
    "neck-shoulders": (140, 68),
    "back": (126, 106),
    "arms": (160, 146),
    "hands": (162, 188),
    "feet": (120, 272),
}
BODY_LABEL_X = 208
BODY_MAP_WIDTH = 380

SIDE_NAMES = {"right": _("Right %(noun)s"), "left": _("Left %(noun)s")}


def regions_for(body_part_slug: str) -> list[tuple[str, str]]:
    """The named regions of a body part's outline, as (slug, name) in drawing order;
    empty when the body part has no outline of its own (it is one region of the body)."""
    outline = OUTLINES.get(body_part_slug)
    if outline is None:
        return []
    return [(region.slug, str(region.name)) for region in outline.regions]


@dataclass(frozen=True)
class Picture:
    """What a picture template needs: the drawing, the view, what stands out, the words."""

    outline: Outline
    view: View
    alt: str
    caption: str = ""
    uid: str = ""  # prefixes the ids, so that several pictures can share a page
    highlights: frozenset[str] = frozenset()
    side: str = ""
    mirrored: bool = False
    levels: Mapping[str, int] = field(default_factory=dict)  # region -> shading 0-4
    labels: tuple[dict, ...] = ()  # text drawn beside the figure (the body map)
    views: tuple[tuple[View, int], ...] = ()  # several views side by side (covers)
    # Per side, for the JS player (it mirrors the right side's drawing for the left).
    alt_right: str = ""
    caption_right: str = ""
    alt_left: str = ""
    caption_left: str = ""
    kind: str = "step"

    @property
    def template(self) -> str:
        return self.outline.template

    @property
    def width(self) -> int:
        if self.views:
            return self.views[-1][1] + self.views[-1][0].width
        return BODY_MAP_WIDTH if self.labels else self.view.width

    @property
    def height(self) -> int:
        return max(view.height for view, _x in self.views) if self.views else self.view.height

    def is_highlighted(self, region: str) -> bool:
        return not self.highlights.isdisjoint(self.outline.lineage(region))


def _side_name(outline: Outline, side: str) -> str:
    if side in SIDE_NAMES:
        return gettext(SIDE_NAMES[side]) % {"noun": outline.noun}
    return capfirst(str(outline.noun))


def _words(outline: Outline, view: View, side: str, region: Region | None) -> tuple[str, str]:
    """(caption, alt): "Right hand, palm: the thenar area at the base of the thumb"."""
    where = f"{_side_name(outline, side)}, {view.label}"
    if region is None:
        return where, where + "."
    caption = f"{where}: {region.description}"
    return caption, gettext("%(caption)s is highlighted.") % {"caption": caption}


def _outline_of(area: str, body_part_slugs: Iterable[str]) -> tuple[Outline, Region | None]:
    """The outline drawing ``area``: of the first body part that has such a region, else
    of the first body part with an outline, else the whole body."""
    slugs = list(body_part_slugs)
    for slug in slugs:
        outline = OUTLINES.get(slug)
        if outline is not None and area and outline.region(area) is not None:
            return outline, outline.region(area)
    for slug in slugs:
        if slug in OUTLINES:
            return OUTLINES[slug], None
    return BODY, next((BODY.region(s) for s in slugs if BODY.region(s)), None)


def step_picture(
    *, area: str, body_part_slugs: Iterable[str], side: str = "", uid: str = ""
) -> Picture:
    """Where a step works, on its body part's outline; ``side`` "right" or "left" names
    it (the left side is the right one mirrored)."""
    outline, region = _outline_of(area, body_part_slugs)
    view = outline.view(region.view) if region else outline.views[0]
    caption, alt = _words(outline, view, side, region)
    caption_right, alt_right = _words(outline, view, "right", region) if side else ("", "")
    caption_left, alt_left = _words(outline, view, "left", region) if side else ("", "")
    return Picture(
        outline=outline,
        view=view,
        alt=alt,
        caption=caption,
        uid=uid,
        highlights=frozenset([region.slug] if region else []),
        side=side,
        mirrored=side == "left",
        alt_right=alt_right,
        caption_right=caption_right,
        alt_left=alt_left,
        caption_left=caption_left,
    )


def cover_picture(*, body_part_slugs: Iterable[str], uid: str = "") -> Picture:
    """A series cover drawn from the outlines: every view of its first body part's outline
    side by side (or the whole body with that part marked)."""
    outline, region = _outline_of("", body_part_slugs)
    if outline is BODY:
        words = gettext("Drawing of a body seen from behind")
        if region is not None:
            words += gettext(", %(part)s marked") % {"part": region.description}
        return Picture(
            outline=BODY,
            view=BODY.views[0],
            alt=words + ".",
            uid=uid,
            highlights=frozenset([region.slug] if region else []),
            kind="cover",
        )
    gap, x, placed = 16, 0, []
    for view in outline.views:
        placed.append((view, x))
        x += view.width + gap
    alt = gettext("Drawing of a %(noun)s: %(views)s.") % {
        "noun": outline.noun,
        "views": gettext(" and ").join(str(view.label) for view in outline.views),
    }
    return Picture(
        outline=outline, view=outline.views[0], alt=alt, uid=uid, views=tuple(placed), kind="cover"
    )


def _label(slug: str, text: str, detail: str) -> dict:
    x, y = BODY_LABELS[slug]
    return {"slug": slug, "x": x, "y": y, "text": text, "detail": detail, "label_x": BODY_LABEL_X}


def body_map(*, minutes: Mapping[str, int], uid: str = "map-") -> Picture:
    """The member's minutes per body part, shaded on the whole body (darker is more),
    each practised part named with its minutes beside the figure."""
    peak = max([m for m in minutes.values() if m > 0] + [0])
    levels, labels, spoken = {}, [], []
    for region in BODY.regions:
        value = minutes.get(region.slug)
        if value is None:
            continue
        levels[region.slug] = math.ceil(4 * value / peak) if peak and value > 0 else 0
        text = gettext("%(minutes)d min") % {"minutes": value}
        labels.append(_label(region.slug, str(region.name), text))
        spoken.append(f"{region.name} {text}")
    alt = gettext("Body map of your minutes of practice, darker for more: %(parts)s.") % {
        "parts": ", ".join(spoken) or gettext("nothing yet")
    }
    return Picture(
        outline=BODY,
        view=BODY.views[0],
        alt=alt,
        uid=uid,
        levels=levels,
        labels=tuple(labels),
        kind="map",
    )


def _or_dash(value: int | None) -> str:
    return "\u2013" if value is None else str(value)


def tension_map(
    *, body_part_slugs: Iterable[str], values: Mapping[str, Mapping[str, int]] | None = None
) -> Picture:
    """The body parts of a session on the whole body, to mark tension before and after
    (``SessionLog.tension_map``: {"<body part slug>": {"before": n, "after": n}})."""
    values = values or {}
    parts = [BODY.region(slug) for slug in body_part_slugs if BODY.region(slug)]
    labels = []
    for region in parts:
        entry = values.get(region.slug) or {}
        before, after = entry.get("before"), entry.get("after")
        detail = f"{_or_dash(before)} \u2192 {_or_dash(after)}" if entry else ""
        labels.append(_label(region.slug, str(region.name), detail))
    names = gettext(" and ").join(str(region.description) for region in parts)
    alt = gettext("Body map with %(parts)s marked for your tension before and after.") % {
        "parts": names or gettext("no body part")
    }
    return Picture(
        outline=BODY,
        view=BODY.views[0],
        alt=alt,
        uid="tension-",
        highlights=frozenset(region.slug for region in parts),
        labels=tuple(labels),
        kind="tension",
    )
