"""The Idempotency-Key request header, as the OpenAPI document publishes it."""

from typing import Annotated

from fastapi import Header

from application.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH

VISIBLE_ASCII = r"^[\x21-\x7E]+$"  # RFC 5234 VCHAR: no spaces, no controls, nothing beyond ASCII
IDEMPOTENT_CREATION = (
    "Send an `Idempotency-Key` (any unique string, e.g. a UUID) to make retrying safe: the first "
    "request with a key creates the task, and every retry with that key and the same body, even "
    "one sent while the first is still running, gets the first answer again (201, same task, same "
    "`Location` and `ETag`) without creating another. The same key with another body is 422. "
    "Keys are the caller's own and are remembered for `IDEMPOTENCY_KEY_TTL_SECONDS` (24 h by default)."
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        pattern=VISIBLE_ASCII,
        description="A key of the client's choosing that makes this creation happen at most once.",
    ),
]
