"""Log in and out (blueprint "auth")."""
