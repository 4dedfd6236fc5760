"""Administering API clients: creating them, issuing and revoking their keys (the /clients routes)."""
