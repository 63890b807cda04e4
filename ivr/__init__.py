"""IVR and voice-flow server for the 12333 labour and social-security hotline."""
