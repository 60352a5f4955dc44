"""lyricbot: the Discord side of the lyrics bot (handlers, services, storage)."""
