"""The guided player without JavaScript (one step per page) and its finish form.

static/js/player.js enhances the same page: timers, cues, saving through the API.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from routines import player as plan
from routines.forms import FINISH_ERROR_FIELDS, FinishForm, apply_errors
from routines.models import Routine, SessionLog
from routines.selectors import member_has_acknowledged, routine_for_logging, routine_for_player
from routines.services import session_log_create


def _started(request: HttpRequest, *, estimate_seconds: int = 0) -> int:
    """The session's start (epoch seconds) carried in the no-JS links.

    Absent or out of range (a bookmarked link), it is estimated: now less
    ``estimate_seconds`` (the finish page passes the time of the steps done).
    """
    now = int(timezone.now().timestamp())
    estimate = now - min(max(estimate_seconds, 0), 4 * 3600)
    try:
        value = int(request.GET.get("started", ""))
    except ValueError:
        return estimate
    return value if now - 4 * 3600 <= value <= now else estimate


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
            if logged is None:  # unpublished while the member was playing it
                raise Http404("No such routine.")
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
        done = max(done, 0)
        steps_completed, sides = plan.outcome(routine, steps_count, done)
        positions = plan.plan(routine, list(routine.steps.all()))
        started = _started(
            request, estimate_seconds=sum(p.step.duration_seconds for p in positions[:done]) or 1
        )
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
