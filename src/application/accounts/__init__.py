"""Use cases on local accounts: register, log in, and say who the caller is."""

from application.accounts.current import CurrentUser, Profile
from application.accounts.log_in import LogIn
from application.accounts.register import Register

__all__ = ["CurrentUser", "LogIn", "Profile", "Register"]
