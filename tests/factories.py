"""factory_boy factories for every model the tests build."""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from routines.models import BodyPart, Routine, Series, SessionLog, Step


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    display_name = factory.Faker("first_name")
    timezone = "UTC"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class EditorFactory(UserFactory):
    """A member of the "Editors" group (its permissions come from editor's migration)."""

    @factory.post_generation
    def editor(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            from routines.services import editors_group_ensure

            # The migration made it; a test that flushed the database took it away.
            self.groups.add(editors_group_ensure())


class BodyPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BodyPart
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"part-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"series-{n}")
    title = factory.Sequence(lambda n: f"Series {n}")
    summary = "A calm routine."
    status = Series.Status.PUBLISHED
    # A series that is or was live has the date it first went live; others have none.
    published_at = factory.LazyAttribute(
        lambda o: (
            timezone.now()
            if o.status in (Series.Status.PUBLISHED, Series.Status.UNPUBLISHED)
            else None
        )
    )

    @factory.post_generation
    def body_parts(self, create: bool, extracted: list[BodyPart] | None, **kwargs: object) -> None:
        if create:
            self.body_parts.set(extracted or [BodyPartFactory(slug="hands", name="Hands")])


class RoutineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Routine
        skip_postgeneration_save = True

    series = factory.SubFactory(SeriesFactory)
    slug = factory.Sequence(lambda n: f"routine-{n}")
    title = factory.Sequence(lambda n: f"Routine {n}")
    position = 1

    @factory.post_generation
    def steps(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        if create:
            for position in range(1, (extracted if extracted is not None else 3) + 1):
                Step.objects.create(
                    routine=self,
                    position=position,
                    title=f"Step {position}",
                    instruction="Breathe and press gently.",
                    duration_seconds=20,
                )


class SessionLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionLog

    user = factory.SubFactory(UserFactory)
    routine = factory.SubFactory(RoutineFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=10))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=5))
    duration_seconds = factory.LazyAttribute(
        lambda o: int((o.ended_at - o.started_at).total_seconds())
    )
    steps_completed = 3
    steps_total = 3
    local_date = factory.LazyAttribute(lambda o: o.started_at.astimezone(o.user.zone).date())
    timezone = factory.LazyAttribute(lambda o: o.user.timezone)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (24, 16)) -> bytes:
    """A small picture made with Pillow, in ``image_format`` (PNG, JPEG, WEBP, GIF...)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (47, 111, 94)).save(buffer, format=image_format)
    return buffer.getvalue()


def image_upload(name: str = "cover.png", image_format: str = "PNG", **kwargs: object):
    """An uploaded image file, as a form or the API receives it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    content_type = f"image/{image_format.lower()}"
    return SimpleUploadedFile(name, image_bytes(image_format, **kwargs), content_type)


def session_payload(
    routine: Routine, *, start: dt.datetime | None = None, minutes: int = 10, **fields: object
) -> dict:
    """A ``POST /api/v1/sessions/`` body: ``minutes`` long, started an hour ago (or at
    ``start``), under a fresh ``client_id``; ``fields`` add to or override it."""
    start = start or timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return {
        "client_id": str(uuid.uuid4()),
        "routine": routine.pk,
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=minutes)).isoformat(),
        **fields,
    }


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A visitor who confirmed the newsletter (pass ``newsletter_confirmed_at=None`` for
    one who did not)."""

    class Meta:
        model = "newsletters.Subscriber"

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    newsletter_confirmed_at = factory.LazyFunction(timezone.now)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "newsletters.Campaign"

    subject = factory.Sequence(lambda n: f"Letter {n}")
    body = "Hello **there**. [The library](/library/)."
    category = "newsletter"


class OfferFactory(factory.django.DjangoModelFactory):
    """A live offer for all members, open from an hour ago for a week."""

    class Meta:
        model = "offers.Offer"

    title = factory.Sequence(lambda n: f"Offer {n}")
    description = "20% off a massage ball."
    code = factory.Sequence(lambda n: f"KNEAD{n:03d}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=7))
    audience = "members"
