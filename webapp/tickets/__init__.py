"""Complaint and report tickets in the staff UI (spec §5)."""
