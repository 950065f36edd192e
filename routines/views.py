"""Member pages: library, guided player, session logs, dashboard. Thin: parse, call, render."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from routines import charts
from routines import player as plan
from routines.forms import (
    FINISH_ERROR_FIELDS,
    LOG_ERROR_FIELDS,
    FinishForm,
    LibraryFilterForm,
    PracticePlanForm,
    SafetyForm,
    SessionLogForm,
    apply_errors,
)
from routines.models import BodyPart, Routine, SessionLog
from routines.selectors import (
    favourite_series_ids,
    member_has_acknowledged,
    member_local_today,
    member_stats,
    practice_plan_for,
    routine_for_logging,
    routine_for_player,
    routines_for_logging,
    series_detail_for,
    series_search,
    session_log_for,
    session_logs_for,
)
from routines.services import (
    RestLimitReached,
    favourite_toggle,
    practice_plan_update,
    rest_day_mark,
    safety_acknowledge,
    session_log_create,
    session_log_delete,
    session_log_update,
)

LOGS_PER_PAGE = 20


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- Library ------------------------------------------------------------------------------


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET)
    filters = form.filters()
    favourite_ids = favourite_series_ids(user=request.user)
    series_list = series_search(user=request.user, **filters)
    if form.only_favourites():
        series_list = series_list.filter(pk__in=favourite_ids)
    chips = [{"name": "All", "slug": None, "query": form.query_with(body_part=None)}]
    chips += [
        {"name": part.name, "slug": part.slug, "query": form.query_with(body_part=part.slug)}
        for part in BodyPart.objects.order_by("position", "name")
    ]
    return render(
        request,
        "routines/library.html",
        {
            "form": form,
            "filters": filters,
            "filtering": form.only_favourites() or any(v is not None for v in filters.values()),
            "series_list": series_list,
            "chips": chips,
            "favourite_ids": favourite_ids,
        },
    )


@require_GET
def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    return render(
        request,
        "routines/series.html",
        {
            "series": series,
            "is_favourite": series.pk in favourite_series_ids(user=request.user),
            "side_noun": plan.side_noun(series),
        },
    )


@login_required
@require_POST
def favourite(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    if favourite_toggle(user=request.user, series=series):
        messages.success(request, f"“{series.title}” is now in your favourites.")
    else:
        messages.success(request, f"“{series.title}” was removed from your favourites.")
    return redirect(_safe_next(request, series.get_absolute_url()))


@require_GET
def routine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    routine = routine_for_player(user=request.user, routine_id=pk)
    return render(
        request,
        "routines/routine.html",
        {
            "routine": routine,
            "series": routine.series,
            "steps": list(routine.steps.all()),
            "side_noun": plan.side_noun(routine.series),
            "total_seconds": sum(s.duration_seconds for s in routine.steps.all())
            * len(plan.sides_for(routine)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def safety(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    fallback = series.get_absolute_url()
    if not series.contraindications or member_has_acknowledged(user=request.user, series=series):
        return redirect(_safe_next(request, fallback))
    form = SafetyForm(request.POST or None, statements=series.contraindications)
    if request.method == "POST" and form.is_valid():
        safety_acknowledge(user=request.user, series=series)
        messages.success(request, "Thank you. Enjoy your session, and go gently.")
        return redirect(_safe_next(request, fallback))
    return render(
        request,
        "routines/safety.html",
        {"series": series, "form": form, "next": _safe_next(request, "")},
        status=400 if form.is_bound else 200,
    )


# --- Guided player --------------------------------------------------------------------------


def _started(request: HttpRequest) -> int:
    """The session's start (epoch seconds) carried in the no-JS links; now if absent or odd."""
    now = int(timezone.now().timestamp())
    try:
        value = int(request.GET.get("started", ""))
    except ValueError:
        return now
    return value if now - 4 * 3600 <= value <= now else now


def _gate(request: HttpRequest, routine: Routine) -> HttpResponse | None:
    series = routine.series
    if series.contraindications and not member_has_acknowledged(user=request.user, series=series):
        url = reverse("routines:safety", kwargs={"slug": series.slug})
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
    return None


def _player_url(routine: Routine, position: plan.Position, started: int) -> str:
    query = {"step": position.step_number, "started": started}
    if position.side:
        query["side"] = position.side
    return f"{reverse('routines:play', kwargs={'pk': routine.pk})}?{urlencode(query)}"


def _finish_url(routine: Routine, done: int, started: int) -> str:
    query = urlencode({"done": done, "started": started})
    return f"{reverse('routines:finish', kwargs={'pk': routine.pk})}?{query}"


@login_required
@require_GET
def play(request: HttpRequest, pk: int) -> HttpResponse:
    routine = routine_for_player(user=request.user, routine_id=pk)
    if (gate := _gate(request, routine)) is not None:
        return gate
    steps = list(routine.steps.all())
    if not steps:
        raise Http404("This routine has no steps yet.")
    positions = plan.plan(routine, steps)
    try:
        step_number = int(request.GET.get("step", "1"))
    except ValueError:
        step_number = 1
    side = request.GET.get("side", plan.sides_for(routine)[0])
    current = plan.find(positions, step_number, side) or positions[0]
    started = _started(request)
    noun = plan.side_noun(routine.series)
    previous = positions[current.index - 1] if current.index > 0 else None
    following = positions[current.index + 1] if current.index + 1 < len(positions) else None
    finish_initial = FinishForm.fresh_initial(
        started_at=dt.datetime.fromtimestamp(started, tz=dt.UTC).isoformat(),
        ended_at=timezone.now().isoformat(),
        steps_completed=len(steps),
        sides="both" if routine.per_side else "",
    )
    player_data = {
        "routine": routine.pk,
        "title": routine.title,
        "sides": list(plan.sides_for(routine)),
        "sideNoun": noun,
        "fingers": list(plan.FINGERS),
        "start": current.index,
        "apiUrl": "/api/v1/sessions/",
        "dashboardUrl": reverse("routines:dashboard"),
        "steps": [
            {
                "title": s.title,
                "instruction": s.instruction,
                "technique": s.technique,
                "duration": s.duration_seconds,
                "repetitions": s.repetitions,
                "perFinger": s.per_finger,
            }
            for s in steps
        ],
    }
    return render(
        request,
        "routines/player.html",
        {
            "routine": routine,
            "series": routine.series,
            "position": current,
            "step": current.step,
            "total": len(positions),
            "side_label": plan.side_label(current.side, noun),
            "fingers": plan.FINGERS,
            "previous_url": _player_url(routine, previous, started) if previous else "",
            "next_url": _player_url(routine, following, started) if following else "",
            "finish_url": _finish_url(routine, len(positions), started),
            "end_early_url": _finish_url(routine, current.index, started),
            "player_data": player_data,
            "finish_form": FinishForm(
                initial=finish_initial, body_parts=routine.series.body_parts.all()
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    routine = routine_for_player(user=request.user, routine_id=pk)
    body_parts = list(routine.series.body_parts.all())
    if request.method == "POST":
        form = FinishForm(request.POST, body_parts=body_parts)
        if form.is_valid():
            logged = routine_for_logging(user=request.user, routine_id=routine.pk)
            try:
                _log, created = session_log_create(
                    user=request.user,
                    routine=logged,
                    source=SessionLog.Source.PLAYER,
                    **form.log_fields(),
                )
            except ValidationError as exc:
                apply_errors(form, exc, FINISH_ERROR_FIELDS)
            else:
                if created:
                    messages.success(request, "Session saved. Well done!")
                else:
                    messages.info(request, "This session was already saved.")
                return redirect("routines:dashboard")
    else:
        steps_count = len(routine.steps.all())
        try:
            done = int(request.GET.get("done", ""))
        except ValueError:
            done = steps_count * len(plan.sides_for(routine))
        steps_completed, sides = plan.outcome(routine, steps_count, done)
        started = _started(request)
        form = FinishForm(
            initial=FinishForm.fresh_initial(
                started_at=dt.datetime.fromtimestamp(started, tz=dt.UTC).isoformat(),
                ended_at=timezone.now().isoformat(),
                steps_completed=steps_completed,
                sides=sides,
            ),
            body_parts=body_parts,
        )
    return render(
        request,
        "routines/finish.html",
        {"routine": routine, "series": routine.series, "form": form},
        status=400 if form.is_bound else 200,
    )


# --- Session logs ------------------------------------------------------------------------------


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(session_logs_for(user=request.user), LOGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "routines/session_list.html", {"page": page, "logs": page.object_list})


@login_required
@require_GET
def session_detail(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    names = {part.slug: part.name for part in log.routine.series.body_parts.all()}
    tension_rows = [
        {
            "name": names.get(slug, slug),
            "before": values.get("before"),
            "after": values.get("after"),
        }
        for slug, values in (log.tension_map or {}).items()
        if isinstance(values, dict)
    ]
    return render(
        request, "routines/session_detail.html", {"log": log, "tension_rows": tension_rows}
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    routines = routines_for_logging(user=request.user)
    today = member_local_today(user=request.user)
    initial = {"date": today, "sides": "", "routine": request.GET.get("routine")}
    form = SessionLogForm(
        request.POST or None, initial=initial, user=request.user, routines=routines
    )
    if request.method == "POST" and form.is_valid():
        try:
            session_log_create(
                user=request.user, source=SessionLog.Source.MANUAL, **form.log_fields()
            )
        except ValidationError as exc:
            apply_errors(form, exc, LOG_ERROR_FIELDS)
        else:
            messages.success(request, "Session logged.")
            return redirect("routines:sessions")
    return render(
        request,
        "routines/session_form.html",
        {"form": form, "title": "Log a session"},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    # The member's visible routines, plus the log's own even if it was unpublished since.
    routines = (
        Routine.objects.filter(
            Q(pk__in=routines_for_logging(user=request.user).values("pk")) | Q(pk=log.routine_id)
        )
        .select_related("series")
        .annotate(step_count=Count("steps"))
        .order_by("series__title", "position", "pk")
    )
    form = SessionLogForm(
        request.POST or None,
        initial=SessionLogForm.initial_for(log),
        user=request.user,
        routines=routines,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.log_fields()
        if fields["routine"].pk != log.routine_id:
            fields["steps_completed"] = fields["routine"].step_count
        try:
            session_log_update(user=request.user, log=log, **fields)
        except ValidationError as exc:
            apply_errors(form, exc, LOG_ERROR_FIELDS)
        else:
            messages.success(request, "Session updated.")
            return redirect("routines:session", log_id=log.pk)
    return render(
        request,
        "routines/session_form.html",
        {"form": form, "log": log, "title": "Edit session"},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    if request.method == "POST":
        session_log_delete(user=request.user, log=log)
        messages.success(request, "Session deleted.")
        return redirect("routines:sessions")
    return render(request, "routines/session_confirm_delete.html", {"log": log})


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "date",
    "start",
    "end",
    "timezone",
    "duration_minutes",
    "series",
    "routine",
    "steps_completed",
    "steps_total",
    "sides",
    "tension_before",
    "tension_after",
    "rating",
    "notes",
    "source",
]


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv_rows(logs: object) -> Iterator[list[object]]:
    yield CSV_HEADER
    for log in logs:
        zone = _zone(log.timezone)
        yield [
            _cell(x)
            for x in (
                log.local_date.isoformat(),
                log.started_at.astimezone(zone).isoformat(timespec="seconds"),
                log.ended_at.astimezone(zone).isoformat(timespec="seconds"),
                log.timezone,
                round(log.duration_seconds / 60, 1),
                log.routine.series.title,
                log.routine.title,
                log.steps_completed,
                log.steps_total,
                log.sides,
                log.tension_before,
                log.tension_after,
                log.rating,
                log.notes,
                log.source,
            )
        ]


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@login_required
@require_GET
def session_export(request: HttpRequest) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    logs = session_logs_for(user=request.user).iterator(chunk_size=1000)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(logs)), content_type="text/csv; charset=utf-8"
    )
    today = member_local_today(user=request.user)
    response["Content-Disposition"] = f'attachment; filename="kneadful-sessions-{today}.csv"'
    return response


# --- Dashboard ---------------------------------------------------------------------------------


def _dashboard(request: HttpRequest, plan_form: PracticePlanForm | None = None) -> HttpResponse:
    stats = member_stats(user=request.user)
    practice_plan = practice_plan_for(user=request.user)
    if plan_form is None:
        plan_form = PracticePlanForm(
            initial={
                "rest_weekdays": practice_plan.rest_weekdays,
                "rest_days_per_week": practice_plan.rest_days_per_week,
            }
        )
    max_part = max([p["minutes"] for p in stats.by_body_part] + [1])
    return render(
        request,
        "routines/dashboard.html",
        {
            "stats": stats,
            "weekly": charts.weekly_bars(stats.weekly_minutes),
            "heatmap": charts.heatmap(stats.heatmap),
            "months": charts.months_summary(stats.heatmap),
            "by_body_part": [
                {**p, "percent": round(100 * p["minutes"] / max_part)} for p in stats.by_body_part
            ],
            "plan_form": plan_form,
            "plan": practice_plan,
        },
        status=400 if plan_form.is_bound else 200,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request)


@login_required
@require_POST
def rest_today(request: HttpRequest) -> HttpResponse:
    today = member_local_today(user=request.user)
    try:
        _, created = rest_day_mark(user=request.user, local_date=today)
    except RestLimitReached as exc:
        messages.error(
            request,
            f"{exc} Rest days reset on Monday; you can change how many you allow below.",
        )
    else:
        if created:
            messages.success(request, "Today is a rest day: your streak is safe. Rest well.")
        else:
            messages.info(request, "Today was already marked as a rest day.")
    return redirect("routines:dashboard")


@login_required
@require_POST
def practice_plan(request: HttpRequest) -> HttpResponse:
    form = PracticePlanForm(request.POST)
    if form.is_valid():
        try:
            practice_plan_update(
                user=request.user,
                rest_weekdays=form.cleaned_data["rest_weekdays"],
                rest_days_per_week=form.cleaned_data["rest_days_per_week"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, "Practice plan saved.")
            return redirect("routines:dashboard")
    return _dashboard(request, plan_form=form)
