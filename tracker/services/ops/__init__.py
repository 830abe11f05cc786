"""Operations: backup and restore, the demo city, the worker heartbeat."""
