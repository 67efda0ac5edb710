"""Channels translate between a platform and the engine: events in, messages out."""
