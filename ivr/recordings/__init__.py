"""Recordings of any kind (voicemail, agents' calls): download, storage, transcription."""
