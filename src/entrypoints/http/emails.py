"""Email addresses in requests: email-validator's rules, and a published schema that says them."""

from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import AfterValidator, WithJsonSchema

from domain.user import EMAIL_MAX_LENGTH


def _checked(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def _any_case(word: str) -> str:
    return "".join(f"[{letter.lower()}{letter.upper()}]" if letter.isalpha() else letter for letter in word)


# email-validator refuses reserved domains (.test, .local, ...) that `format: email` alone allows;
# the pattern states that refusal in the schema, so clients (and Schemathesis) can know it.
_RESERVED = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
_PATTERN = rf"^(?!.*@(?:[^@]*\.)?(?:{_RESERVED})\.?$)[^@\s]+@[^@\s]+$"

Email = Annotated[
    str,
    AfterValidator(_checked),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_MAX_LENGTH, "pattern": _PATTERN}),
]
