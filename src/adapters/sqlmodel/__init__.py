"""The SQL adapter: SQLModel tables, mappers, repositories and units of work over asyncpg and sqlite3."""
