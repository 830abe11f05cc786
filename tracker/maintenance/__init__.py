"""Operations commands: backup and restore."""
