"""Pictures of where a step works (routines/pictures.py and its templates), issue 13."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse

from routines import pictures
from routines.models import Step
from routines.services import session_log_create
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "routines" / "pictures"
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def _render(source: str, **context) -> str:
    return Template("{% load pictures %}" + source).render(Context(context))


def _step(area: str) -> Step:
    return Step(position=3, title="A step", instruction="Press.", area=area)


def _parts(*slugs: str) -> list:
    return [BodyPartFactory.build(slug=slug) for slug in slugs]


# --- The outlines and their regions --------------------------------------------------------------


def test_regions_for_lists_each_outline_s_regions_for_a_picker():
    hands = pictures.regions_for("hands")
    assert ("thenar", "Thenar (base of the thumb)") in hands
    assert [slug for slug, _ in hands][:2] == ["palm", "thenar"]
    for part in ("hands", "feet", "arms"):
        slugs = [slug for slug, _ in pictures.regions_for(part)]
        assert slugs and len(slugs) == len(set(slugs))
        assert all(re.fullmatch(r"[a-z-]+", s) and len(s) <= 40 for s in slugs)  # Step.area
    assert pictures.regions_for("back") == []  # one region of the whole body
    assert pictures.regions_for("no-such-part") == []


@pytest.mark.parametrize(
    ("outline", "region"),
    [(o, r) for o in [*pictures.OUTLINES.values(), pictures.BODY] for r in o.regions],
    ids=lambda x: x.slug,
)
def test_every_region_is_drawn_once_in_its_view_and_can_be_highlighted(outline, region):
    picture = pictures.Picture(
        outline=outline,
        view=outline.view(region.view),
        alt="",
        highlights=frozenset([region.slug]),
    )
    svg = _render("{% include picture.template with view=picture.view.slug %}", picture=picture)
    assert svg.count(f'id="region-{region.slug}"') == 1
    element = re.search(rf'<(path|g) id="region-{region.slug}"[^>]*>', svg).group(0)
    assert "is-highlighted" in element
    # Every region named in this view is one of the outline's, of this view.
    named = set(re.findall(r'data-region="([^"]+)"', svg))
    assert named == {r.slug for r in outline.regions if r.view == region.view}


def test_the_drawings_are_small_hand_written_svg():
    for path in TEMPLATES.glob("*.svg"):
        text = path.read_text()
        assert len(text.encode()) < 6000, path.name
        assert "<image" not in text and "http" not in text and "base64" not in text


# --- A step's picture ---------------------------------------------------------------------------


def test_a_step_picture_highlights_its_area_with_a_pattern_and_says_so():
    html = _render(
        '{% step_picture step parts side="left" uid="s" %}',
        step=_step("thenar"),
        parts=_parts("hands"),
    )
    label = "Left hand, palm: the thenar area at the base of the thumb is highlighted."
    assert f'role="img" aria-label="{label}"' in html
    assert "Left hand, palm: the thenar area at the base of the thumb</figcaption>" in html
    thenar = re.search(r'<path id="s3-region-thenar"[^>]*>', html).group(0)
    # Not colour alone: a hatch pattern of this picture and a thick outline (CSS), and words.
    assert 'fill="url(#s3-hatch)"' in thenar and "is-highlighted" in thenar
    assert '<pattern id="s3-hatch"' in html
    assert 'class="pic-region"' in html  # the other regions stay plain
    assert 'transform="matrix(-1 0 0 1 200 0)"' in html  # the left hand: the right mirrored
    assert 'data-alt-right="Right hand, palm: the thenar area' in html


def test_a_step_without_an_area_or_of_another_body_part_falls_back_sensibly():
    plain = pictures.step_picture(area="", body_part_slugs=["feet"])
    assert plain.alt == "Foot, sole." and not plain.highlights
    neck = pictures.step_picture(area="", body_part_slugs=["neck-shoulders"])
    assert neck.outline is pictures.BODY and neck.highlights == {"neck-shoulders"}
    assert neck.alt.endswith("the neck and shoulders is highlighted.")
    # A series of two body parts: the area finds its own outline.
    both = pictures.step_picture(area="ankle", body_part_slugs=["hands", "feet"])
    assert both.outline is pictures.FEET and both.view.slug == "top"


@pytest.mark.django_db
def test_every_step_of_the_starter_library_has_an_area_of_its_body_part():
    call_command("load_starter_content", verbosity=0)
    steps = Step.objects.select_related("routine__series").prefetch_related(
        "routine__series__body_parts"
    )
    assert steps.count() == 21
    for step in steps:
        parts = [p.slug for p in step.routine.series.body_parts.all()]
        regions = {slug for part in parts for slug, _ in pictures.regions_for(part)}
        assert step.area in regions, (step.routine.slug, step.position, step.area)


# --- On the pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_player_shows_the_step_picture_and_hands_every_step_s_to_the_script(member_client):
    hands = BodyPartFactory(slug="hands", name="Hands")
    routine = RoutineFactory(series=SeriesFactory(body_parts=[hands]), per_side=True, steps=2)
    Step.objects.filter(routine=routine, position=1).update(area="wrist")
    Step.objects.filter(routine=routine, position=2).update(area="grooves")
    url = reverse("routines:play", kwargs={"pk": routine.pk})
    page = member_client.get(url, {"step": 2, "side": "left"}).content.decode()
    slot = re.search(r'<div class="step-picture" id="step-picture">(.*?)</div>', page, re.S)
    assert 'aria-label="Left hand, back: the grooves between the bones' in slot.group(1)
    assert 'id="region-grooves"' in slot.group(1)
    assert '<template id="step-picture-0">' in page and '<template id="step-picture-1">' in page
    assert 'id="s1-region-wrist"' in page and 'id="s2-region-grooves"' in page


@pytest.mark.django_db
def test_routine_page_shows_each_step_s_picture_with_unique_ids(client):
    call_command("load_starter_content", verbosity=0)
    routine = Step.objects.get(routine__slug="hand-massage", position=1).routine
    page = client.get(reverse("routines:routine", kwargs={"pk": routine.pk})).content.decode()
    assert page.count('class="pic"') == 10
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert 'aria-label="Hand, back: the back of the hand is highlighted."' in page
    assert 'aria-label="Hand, palm: the heel of the hand is highlighted."' in page


@pytest.mark.django_db
def test_series_have_drawn_covers_unless_one_is_uploaded(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hands = BodyPartFactory(slug="hands", name="Hands")
    drawn = SeriesFactory(title="Drawn", body_parts=[hands])
    back = SeriesFactory(title="Backs", body_parts=[BodyPartFactory(slug="back", name="Back")])
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    photo = SeriesFactory(title="Photo", body_parts=[hands], cover_alt="Two hands resting.")
    photo.cover.save("hands.gif", SimpleUploadedFile("hands.gif", gif))
    library = client.get(reverse("routines:library")).content.decode()
    assert 'aria-label="Drawing of a hand: palm and back."' in library
    assert 'aria-label="Drawing of a body seen from behind, the back marked."' in library
    assert 'alt="Two hands resting."' in library and library.count('class="cover') == 3
    page = client.get(drawn.get_absolute_url()).content.decode()
    assert 'class="cover cover-drawn"' in page and 'id="cover-' in page
    assert 'class="cover cover-drawn"' in client.get(back.get_absolute_url()).content.decode()


def test_a_picture_is_drawn_once_per_inputs_and_language(settings, monkeypatch):
    """The tags reuse their markup for the same inputs; anything that changes the
    picture (area, side, ids, language) gives its own markup, as a fresh render would."""
    from django.utils import translation

    from routines.templatetags import pictures as tags

    settings.DEBUG = False
    tags._memo.clear()
    drawn = []
    render = tags.render_to_string
    monkeypatch.setattr(tags, "render_to_string", lambda *a: drawn.append(a) or render(*a))
    parts = _parts("hands")
    source = "{% step_picture step parts side uid %}"
    first = _render(source, step=_step("thenar"), parts=parts, side="left", uid="a-")
    assert _render(source, step=_step("thenar"), parts=parts, side="left", uid="a-") == first
    assert len(drawn) == 1 and len(tags._memo) == 1
    others = {
        _render(source, step=_step("heel"), parts=parts, side="left", uid="a-"),
        _render(source, step=_step("thenar"), parts=parts, side="right", uid="a-"),
        _render(source, step=_step("thenar"), parts=parts, side="left", uid="b-"),
        _render(source, step=_step("thenar"), parts=_parts("feet"), side="left", uid="a-"),
    }
    assert first not in others and len(others) == 4
    with translation.override("fr"):
        _render(source, step=_step("thenar"), parts=parts, side="left", uid="a-")
    assert len(tags._memo) == 6 and len(drawn) == 6  # one entry per language too
    settings.DEBUG = True  # an edited drawing shows at once: nothing kept
    assert _render(source, step=_step("thenar"), parts=parts, side="left", uid="a-") == first
    assert len(drawn) == 7 and len(tags._memo) == 6


def test_the_memo_is_bounded(settings, monkeypatch):
    from routines.templatetags import pictures as tags

    settings.DEBUG = False
    tags._memo.clear()
    monkeypatch.setattr(tags, "MEMO_MAX", 2)
    for area in ("thenar", "heel", "wrist"):
        _render("{% step_picture step parts %}", step=_step(area), parts=_parts("hands"))
    assert len(tags._memo) == 2


@pytest.mark.django_db
def test_dashboard_by_body_part_is_a_body_map_with_its_table(member_client, user):
    import datetime as dt

    from django.utils import timezone

    hands = BodyPartFactory(slug="hands", name="Hands")
    feet = BodyPartFactory(slug="feet", name="Feet")
    start = timezone.now() - dt.timedelta(hours=5)
    for part, minutes in ((hands, 40), (feet, 10)):
        routine = RoutineFactory(series=SeriesFactory(body_parts=[part]))
        session_log_create(
            user=user,
            routine=routine,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=minutes),
        )
        start += dt.timedelta(hours=1)
    page = member_client.get(reverse("routines:dashboard")).content.decode()
    section = page[page.index('id="parts-heading"') :]
    assert (
        'aria-label="Body map of your minutes of practice, darker for more: '
        'Hands 40 min, Feet 10 min."' in section
    )
    assert re.search(r'id="map-region-hands"[^>]*class="pic-region pic-level-4"', section)
    assert re.search(r'id="map-region-feet"[^>]*class="pic-region pic-level-1"', section)
    assert '<text class="pic-label-name" x="208" y="192">Hands</text>' in section
    assert '<th scope="row">Hands</th><td>1</td>' in section  # the table stays


@pytest.mark.django_db
def test_finish_form_marks_tension_on_the_body_map(member_client, user):
    hands = BodyPartFactory(slug="hands", name="Hands")
    routine = RoutineFactory(series=SeriesFactory(body_parts=[hands]), steps=2)
    url = reverse("routines:finish", kwargs={"pk": routine.pk})
    page = member_client.get(url, {"done": "0,1"}).content.decode()
    tension = page[page.index('id="tension-map"') :]
    alt = "Body map with the hands marked for your tension before and after."
    assert f'aria-label="{alt}"' in tension
    assert re.search(r'id="tension-region-hands"[^>]*is-highlighted', tension)
    assert 'name="map_hands_before"' in tension and "js/tension-map.js" in page
    form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    member_client.post(url, {**form, "map_hands_before": "7", "map_hands_after": "3"})
    log = user.session_logs.get()
    assert log.tension_map == {"hands": {"before": 7, "after": 3}}
    detail = member_client.get(reverse("routines:session", kwargs={"log_id": log.pk}))
    assert "7 \u2192 3</text>" in detail.content.decode()


# --- Contrast (WCAG 1.4.11: 3:1 for the parts of a picture one needs) -----------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_picture_colours_meet_non_text_contrast():
    css = CSS.read_text()
    token = dict(re.findall(r"--(color-[a-z-]+):\s*(#[0-9a-f]{6})", css))
    hatch = (TEMPLATES / "defs.html").read_text()
    hatch_bg, hatch_line = re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', hatch)
    skin, outline = token["color-skin"], token["color-outline"]
    for background in (skin, token["color-surface"], token["color-bg"], token["color-accent"]):
        assert _contrast(outline, background) >= 3  # the outline
        assert _contrast(token["color-primary-strong"], background) >= 3  # highlight's edge
    assert _contrast(hatch_line, hatch_bg) >= 3  # the pattern is visible as a pattern
    assert _contrast(token["color-primary-strong"], skin) >= 3
