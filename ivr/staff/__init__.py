"""Staff accounts, roles and the audit trail of who listened to or graded what."""
