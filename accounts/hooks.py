"""Hooks other apps connect to, so accounts never imports them.

Apps above accounts (routines, reminders, ...) connect receivers in their
``AppConfig.ready()``. These decouple apps; they never carry accounts' own workflow.
"""

from django.dispatch import Signal

# Sent by ``user_profile_update`` inside its transaction when a member's IANA zone changes,
# with ``user``, ``old_timezone`` and ``new_timezone``. Receivers move what they computed
# in the old zone (reminders: schedules that followed the profile zone). An exception in
# a receiver rolls the profile change back, as one use case.
member_timezone_changed = Signal()
