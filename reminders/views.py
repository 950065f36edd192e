"""Reminder pages: the member's schedules (login required, own only) and the login-free
action pages that the links in a reminder email open."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import timezone_choices
from reminders.forms import ReminderScheduleForm
from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.selectors import (
    reminder_days_label,
    reminder_next_label,
    reminder_schedules_for,
)
from reminders.services import (
    reminder_action_perform,
    reminder_action_resolve,
    reminder_schedule_create,
    reminder_schedule_delete,
    reminder_schedule_pause,
    reminder_schedule_update,
)
from routines.services import RestLimitReached


def _own(request: HttpRequest, pk: int) -> ReminderSchedule:
    return get_object_or_404(reminder_schedules_for(user=request.user), pk=pk)


@login_required
@require_GET
def reminder_list(request: HttpRequest) -> HttpResponse:
    zone = request.user.zone
    schedules = [
        (
            schedule,
            reminder_next_label(instant=schedule.next_run_at, zone=zone),
            reminder_days_label(schedule.weekdays),
        )
        for schedule in reminder_schedules_for(user=request.user)
    ]
    return render(request, "reminders/list.html", {"schedules": schedules})


def _save(
    request: HttpRequest, form: ReminderScheduleForm, schedule: ReminderSchedule | None
) -> ReminderSchedule | None:
    """Call the service; its validation errors land on the form's fields."""
    try:
        if schedule is None:
            return reminder_schedule_create(user=request.user, **form.cleaned_data)
        return reminder_schedule_update(schedule=schedule, **form.cleaned_data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def reminder_create(request: HttpRequest) -> HttpResponse:
    form = ReminderScheduleForm(
        request.POST or None, initial={"timezone": request.user.timezone, "weekdays": [0, 2, 4]}
    )
    if request.method == "POST" and form.is_valid():
        schedule = _save(request, form, None)
        if schedule is not None:
            label = reminder_next_label(instant=schedule.next_run_at, zone=request.user.zone)
            messages.success(
                request, _("Reminder saved. Next reminder: %(next)s.") % {"next": label}
            )
            return redirect("reminders:list")
    return render(
        request,
        "reminders/form.html",
        {"form": form, "timezones": timezone_choices(), "schedule": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminder_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own(request, pk)
    form = ReminderScheduleForm(
        request.POST or None,
        initial={
            "weekdays": schedule.weekdays,
            "local_time": schedule.local_time,
            "timezone": schedule.timezone,
            "routine": schedule.routine_id,
            "skip_if_practised": schedule.skip_if_practised,
        },
    )
    if request.method == "POST" and form.is_valid() and _save(request, form, schedule):
        messages.success(request, _("Reminder updated."))
        return redirect("reminders:list")
    return render(
        request,
        "reminders/form.html",
        {"form": form, "timezones": timezone_choices(), "schedule": schedule},
    )


@login_required
@require_POST
def reminder_pause(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own(request, pk)
    paused = request.POST.get("paused") == "1"
    reminder_schedule_pause(schedule=schedule, paused=paused)
    messages.success(request, _("Reminder paused.") if paused else _("Reminder resumed."))
    return redirect("reminders:list")


@login_required
@require_http_methods(["GET", "POST"])
def reminder_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own(request, pk)
    if request.method == "POST":
        reminder_schedule_delete(schedule=schedule)
        messages.success(request, _("Reminder deleted."))
        return redirect("reminders:list")
    return render(request, "reminders/delete.html", {"schedule": schedule})


ACTION_COPY = {
    ReminderOccurrence.Action.DONE: {
        "title": gettext_lazy("Log your session"),
        "lead": gettext_lazy("Did you do your self-massage? One click logs it in your progress."),
        "button": gettext_lazy("Yes, I did it"),
    },
    ReminderOccurrence.Action.REST: {
        "title": gettext_lazy("Take a rest day"),
        "lead": gettext_lazy("Rest is part of the practice. Marking a rest day keeps your streak."),
        "button": gettext_lazy("Mark a rest day"),
    },
}


@require_http_methods(["GET", "POST"])
def reminder_action(request: HttpRequest, action: str, token: str) -> HttpResponse:
    """A link from a reminder email: GET shows one button, POST does the action once.

    No login: the signed token (salted per action, bound to one ledger row) is the
    authority. Link scanners only GET, which changes nothing.
    """
    try:
        occurrence = reminder_action_resolve(token=token, action=action)
    except signing.BadSignature:
        return render(request, "reminders/action_invalid.html", status=400)
    context = {"occurrence": occurrence, "action": action, **ACTION_COPY[action]}
    if request.method == "POST":
        try:
            result = reminder_action_perform(occurrence=occurrence, action=action)
        except RestLimitReached as exc:
            context.update(outcome=str(exc), limit_reached=True)
        else:
            context.update(outcome=result.message, done=result.done, refused=result.refused)
        return render(request, "reminders/action_done.html", context)
    return render(request, "reminders/action.html", context)
