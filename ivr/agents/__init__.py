"""Agents (咨询员) of the centres and the recordings of their calls."""
