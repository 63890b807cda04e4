"""Agents' own status page and the team leaders' queue and agent dashboards."""
