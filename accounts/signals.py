"""Keep the cached signed-in user (``accounts.backends``) in step with the database."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_cache_drop
from accounts.models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(instance.pk)
