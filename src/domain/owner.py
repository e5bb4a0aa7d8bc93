"""Who owns a task: an opaque id from whichever identity provider vouched for the caller."""

OWNER_ID_MAX_LENGTH = 255
