"""Option 5: complaints and reports — tickets, deadlines, the complaint desk."""
