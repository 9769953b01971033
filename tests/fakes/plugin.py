"""pytest fixtures for fake servers (filled in by the fake-server work)."""
