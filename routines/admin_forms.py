"""Forms of the back office (``routines.admin``): the status workflow's rules as field
messages, contraindications one per line, the order of routines and steps as numbers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from routines.fields import StatementsField
from routines.models import Routine, Series, Step
from routines.selectors import series_publication_problems
from routines.services import SeriesFields
from routines.validators import validate_cover_image

Status = Series.Status


class SeriesAdminForm(forms.ModelForm):
    contraindications = StatementsField(label=gettext_lazy("Contraindications checklist"))
    cover = forms.ImageField(
        label=gettext_lazy("Cover image"),
        required=False,
        validators=[validate_cover_image],
        help_text=gettext_lazy("PNG, JPEG or WebP, up to 2 MB."),
    )

    class Meta:
        model = Series
        fields = [
            "title",
            "slug",
            "body_parts",
            "summary",
            "description",
            "cover",
            "cover_alt",
            "estimated_minutes",
            "difficulty",
            "safety_notes",
            "contraindications",
            "status",
            "publish_at",
            "next_installment",
        ]

    def clean(self) -> dict[str, Any]:
        """The status workflow's rules, each on the field to change."""
        cleaned = super().clean()
        status, publish_at = cleaned.get("status"), cleaned.get("publish_at")
        was = self.instance.status if self.instance.pk else Status.DRAFT
        if self.instance.pk:
            was = Series.objects.filter(pk=self.instance.pk).values_list("status", flat=True)[0]
        live_before = bool(self.instance.pk and self.instance.published_at)
        if status != Status.SCHEDULED:
            cleaned["publish_at"] = None  # only a scheduled series keeps a time
        elif (
            publish_at is not None
            and publish_at <= timezone.now()
            and publish_at != (self.instance.publish_at if was == Status.SCHEDULED else None)
        ):
            self.add_error(
                "publish_at",
                _("Choose a time in the future, or choose “Published” to publish it now."),
            )
        if status == Status.DRAFT and live_before:
            self.add_error(
                "status", _("It has been published: choose “Unpublished” to hide it again.")
            )
        if status == Status.UNPUBLISHED and not live_before:
            self.add_error("status", _("It has never been published: keep it as a draft."))
        if status in (Status.SCHEDULED, Status.PUBLISHED) and status != was:
            problems = (
                series_publication_problems(series=self.instance)
                if self.instance.pk
                else [_("A new series has no routine yet.")]
            )
            if problems:
                self.add_error(
                    "status",
                    " ".join(problems)
                    + " "
                    + _("Save it as a draft with its routines and steps first, then publish it."),
                )
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k in SeriesFields.__annotations__}
        cover = data.pop("cover", None)
        if isinstance(cover, UploadedFile):
            data["cover"] = cover
        elif cover is False:
            data["cover"] = None
        return data


class RoutineInlineForm(forms.ModelForm):
    order = forms.IntegerField(
        label=gettext_lazy("Order"), required=False, min_value=1, help_text="1, 2, 3…"
    )

    class Meta:
        model = Routine
        fields = ["order", "title", "slug", "per_side", "equipment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        if self.instance.pk:
            self.fields["order"].initial = self.instance.position


class StepInlineForm(forms.ModelForm):
    order = forms.IntegerField(label=gettext_lazy("Order"), required=False, min_value=1)

    class Meta:
        model = Step
        fields = [
            "order",
            "title",
            "instruction",
            "technique",
            "duration_seconds",
            "repetitions",
            "per_finger",
            "area",
        ]
        widgets = {"instruction": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["order"].initial = self.instance.position
