"""The gateway: the admin UI, login and sessions, roles, and routing ``/api/...`` to the services."""
