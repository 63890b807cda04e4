"""Staff pages for the automated self-services: fax-on-demand requests (option 3)."""
