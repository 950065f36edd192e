"""Staff pages: write, preview, test, schedule, send, pause, resume and cancel campaigns.

Reading needs ``newsletters.view_campaign``, writing ``add_campaign`` / ``change_campaign``
(the "Editors" group has them: migration 0002). Each view parses its input and calls one
service; a broker outage never fails a request (the services queue after commit and the
minute sweep carries on from the database).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from newsletters.forms import CampaignForm, ScheduleForm
from newsletters.models import Campaign
from newsletters.selectors import campaign_progress, campaigns_for_staff
from newsletters.services import (
    CampaignStateError,
    campaign_cancel,
    campaign_create,
    campaign_message_build,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaign_unschedule,
    campaign_update,
    task_enqueue,
)


def staff_permission(perm: str):
    """Anonymous visitors go to the login page; members without ``perm`` get 403."""

    def decorator(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


@staff_permission("newsletters.view_campaign")
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletters/staff/list.html", {"campaigns": campaigns_for_staff()})


@staff_permission("newsletters.add_campaign")
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = campaign_create(created_by=request.user, **form.cleaned_data)
        messages.success(request, _("Draft saved."))
        return redirect("newsletters:campaign_detail", pk=campaign.pk)
    return render(request, "newsletters/staff/form.html", {"form": form, "campaign": None})


@staff_permission("newsletters.change_campaign")
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(campaign=campaign, **form.cleaned_data)
        except CampaignStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Changes saved."))
        return redirect("newsletters:campaign_detail", pk=campaign.pk)
    return render(request, "newsletters/staff/form.html", {"form": form, "campaign": campaign})


@staff_permission("newsletters.view_campaign")
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("series"), pk=pk)
    preview = campaign_message_build(campaign=campaign, recipient=request.user)
    context = {
        "campaign": campaign,
        "progress": campaign_progress(campaign=campaign),
        "text_preview": preview.body,
        "schedule_form": ScheduleForm(),
    }
    return render(request, "newsletters/staff/detail.html", context)


@staff_permission("newsletters.view_campaign")
@require_GET
@xframe_options_sameorigin
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML email as the staff member would receive it (shown in a sandboxed frame)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    message = campaign_message_build(campaign=campaign, recipient=request.user)
    response = HttpResponse(message.alternatives[0][0], content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response


@staff_permission("newsletters.view_campaign")
@require_GET
@never_cache
def campaign_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    return JsonResponse(campaign_progress(campaign=campaign))


def _action(view):
    """A POST that changes a campaign's state: errors become a message on the detail page."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            done = view(request, campaign)
        except CampaignStateError as exc:
            messages.error(request, str(exc))
        else:
            if done:
                messages.success(request, done)
        return redirect(reverse("newsletters:campaign_detail", args=[campaign.pk]))

    return staff_permission("newsletters.change_campaign")(require_POST(wrapper))


@_action
def campaign_send_view(request: HttpRequest, campaign: Campaign) -> str:
    campaign_send(campaign=campaign)
    return _("Sending started. The progress below refreshes by itself.")


@_action
def campaign_schedule_view(request: HttpRequest, campaign: Campaign) -> str:
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the date and time to send it."))
        return ""
    campaign = campaign_send(campaign=campaign, send_at=form.cleaned_data["send_at"])
    if campaign.status == Campaign.Status.SCHEDULED:
        return _("Scheduled.")
    return _("That time has passed: sending started now.")


@_action
def campaign_unschedule_view(request: HttpRequest, campaign: Campaign) -> str:
    campaign_unschedule(campaign=campaign)
    return _("Back to draft.")


@_action
def campaign_pause_view(request: HttpRequest, campaign: Campaign) -> str:
    campaign_pause(campaign=campaign)
    return _("Paused. Resume carries on where it stopped.")


@_action
def campaign_resume_view(request: HttpRequest, campaign: Campaign) -> str:
    campaign_resume(campaign=campaign)
    return _("Resumed.")


@_action
def campaign_cancel_view(request: HttpRequest, campaign: Campaign) -> str:
    campaign_cancel(campaign=campaign)
    return _("Cancelled. Nothing more will be sent.")


@_action
def campaign_test_view(request: HttpRequest, campaign: Campaign) -> str:
    from newsletters.tasks import campaign_test_send_task

    task_enqueue(task=campaign_test_send_task, args=(campaign.pk, request.user.pk))
    return _("A test email is on its way to %(address)s.") % {"address": request.user.email}
