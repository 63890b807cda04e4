"""Quality inspection pages (blueprint "inspection", /inspection/...).

Inspectors draw and grade sampled calls, team leaders enter their composite
and the month's other sections, everyone with a role sees the monthly report;
an agent sees only their own results. See ivr/inspection for the logic.
"""
