"""Option 4: personal social-insurance account lookup by phone."""
