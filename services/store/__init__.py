"""PostgreSQL adapter: the event store, consumer offsets, exceptions and migrations."""
