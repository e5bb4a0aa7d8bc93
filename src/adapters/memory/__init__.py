"""In-memory adapters honouring the same contract as the SQL ones, for fast tests."""

from adapters.memory.accounts import InMemoryAccounts, InMemoryAccountsUnitOfWork
from adapters.memory.unit_of_work import InMemoryStore, InMemoryTaskRepository, InMemoryUnitOfWork

__all__ = [
    "InMemoryAccounts",
    "InMemoryAccountsUnitOfWork",
    "InMemoryStore",
    "InMemoryTaskRepository",
    "InMemoryUnitOfWork",
]
