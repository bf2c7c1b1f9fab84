"""The error families every service shares, so a view can answer each the same way
whatever service refused: NotAllowed (the one asking may not do this: 403 or a plain
"not allowed") and AdminError (a rule of the teacher's administration refused the
change; `field` names the form field to show it at)."""


class NotAllowed(Exception):
    """The one asking may not do this."""


class AdminError(Exception):
    """A rule refused the change; `field` names the form field to show it at."""

    field = None
