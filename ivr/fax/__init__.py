"""Option 3: fax on demand (document catalogue, fax requests and their delivery)."""
