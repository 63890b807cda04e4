"""Calls and the steps callers take through the flow."""
