"""The guided player without JavaScript (one step per page) and its finish form.

static/js/player.js enhances the same page: timers, cues, saving through the API.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
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


def _player_url(routine: Routine, position: plan.Position, started: int, done: set[int]) -> str:
    query = {"step": position.step_number, "started": started}
    if position.side:
        query["side"] = position.side
    if done:
        query["done"] = plan.format_done(done)
    return f"{reverse('routines:play', kwargs={'pk': routine.pk})}?{urlencode(query)}"


def _finish_url(routine: Routine, done: set[int], started: int) -> str:
    query = urlencode({"done": plan.format_done(done), "started": started})
    return f"{reverse('routines:finish', kwargs={'pk': routine.pk})}?{query}"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def _moved(
    request: HttpRequest, routine: Routine, positions: list[plan.Position]
) -> HttpResponse | None:
    """A press of Previous, Next, Finish or End early on a no-JS step page.

    The step left counts as done when the member ticked "I did this step" or its page
    was open for most of the step's time (as the JS player's timer); then the member
    goes on, with the done steps carried in the link.
    """
    go = request.GET.get("go")
    left = _int(request.GET.get("from"), -1)
    if go not in {"prev", "next", "finish", "end"} or not 0 <= left < len(positions):
        return None
    done = plan.parse_done(request.GET.get("done", ""), len(positions))
    now = timezone.now().timestamp()
    shown = _int(request.GET.get("shown"), int(now))
    spent = now - shown if 0 <= now - shown <= 4 * 3600 else 0
    if plan.step_done(
        seconds_spent=spent,
        duration_seconds=positions[left].step.duration_seconds,
        said_done=bool(request.GET.get("did")),
    ):
        done.add(left)
    else:
        done.discard(left)
    started = _started(request)
    target = left + (1 if go == "next" else -1 if go == "prev" else 0)
    if go in {"finish", "end"} or target >= len(positions):
        return redirect(_finish_url(routine, done, started))
    return redirect(_player_url(routine, positions[max(target, 0)], started, done))


def _member_required(request: HttpRequest) -> HttpResponse | None:
    """Signed out, "Start" leads to the login page, which says why; the member then
    comes back to the player (the ``next`` parameter)."""
    if request.user.is_authenticated:
        return None
    messages.info(
        request,
        _(
            "Log in to start a guided session: Kneadful keeps your sessions and progress "
            "in your account. You will come straight back to this routine."
        ),
    )
    return redirect_to_login(request.get_full_path())


@require_GET
def play(request: HttpRequest, pk: int) -> HttpResponse:
    if (login := _member_required(request)) is not None:
        return login
    routine = routine_for_player(user=request.user, routine_id=pk)
    if (gate := _gate(request, routine)) is not None:
        return gate
    steps = list(routine.steps.all())
    if not steps:
        raise Http404("This routine has no steps yet.")
    positions = plan.plan(routine, steps)
    if (moved := _moved(request, routine, positions)) is not None:
        return moved
    step_number = _int(request.GET.get("step"), 1)
    side = request.GET.get("side", plan.sides_for(routine)[0])
    current = plan.find(positions, step_number, side) or positions[0]
    started = _started(request)
    done = plan.parse_done(request.GET.get("done", ""), len(positions))
    noun = plan.side_noun(routine.series)
    digit, digit_names = plan.digits_for(noun)
    body_parts = list(routine.series.body_parts.all())
    previous = positions[current.index - 1] if current.index > 0 else None
    following = positions[current.index + 1] if current.index + 1 < len(positions) else None
    steps_completed, sides = plan.outcome(routine, len(steps), done)
    finish_initial = FinishForm.fresh_initial(
        started_at=dt.datetime.fromtimestamp(started, tz=dt.UTC).isoformat(),
        ended_at=timezone.now().isoformat(),
        steps_completed=steps_completed,
        sides=sides,
    )
    player_data = {
        "routine": routine.pk,
        "title": routine.title,
        "sides": list(plan.sides_for(routine)),
        "sideNoun": noun,
        "digit": digit,
        "fingers": list(digit_names),
        "start": current.index,
        "done": sorted(done),
        "doneFraction": plan.DONE_FRACTION,
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
            "digit": digit,
            "fingers": digit_names,
            "has_previous": previous is not None,
            "has_next": following is not None,
            "started": started,
            "shown": int(timezone.now().timestamp()),
            "done": done,
            "done_param": plan.format_done(done),
            "player_data": player_data,
            "body_parts": body_parts,
            # The script shows each step's picture (mirrored for the left side).
            "step_pictures": [(index, step, "s") for index, step in enumerate(steps)],
            "picture_side": "right" if routine.per_side else "",
            "finish_form": FinishForm(initial=finish_initial, body_parts=body_parts),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    routine = routine_for_player(user=request.user, routine_id=pk)
    body_parts = list(routine.series.body_parts.all())
    summary = ""
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
                    messages.success(request, _("Session saved. Well done!"))
                else:
                    messages.info(request, _("This session was already saved."))
                return redirect("routines:dashboard")
    else:
        steps = list(routine.steps.all())
        positions = plan.plan(routine, steps)
        done = plan.parse_done(request.GET.get("done", ""), len(positions))
        steps_completed, sides = plan.outcome(routine, len(steps), done)
        started = _started(
            request,
            estimate_seconds=sum(positions[i].step.duration_seconds for i in done) or 1,
        )
        summary = plan.summary(routine, len(steps), done, plan.side_noun(routine.series))
        form = FinishForm(
            initial=FinishForm.fresh_initial(
                started_at=dt.datetime.fromtimestamp(started, tz=dt.UTC).isoformat(),
                ended_at=timezone.now().isoformat(),
                steps_completed=steps_completed,
                sides=sides,
            ),
            body_parts=body_parts,
        )
        if not steps_completed:
            return render(
                request,
                "routines/finish.html",
                {
                    "routine": routine,
                    "series": routine.series,
                    "nothing_done": True,
                    "replay_url": _player_url(routine, positions[0], started, set()),
                },
            )
    return render(
        request,
        "routines/finish.html",
        {"routine": routine, "series": routine.series, "form": form, "summary": summary},
        status=400 if form.is_bound else 200,
    )
