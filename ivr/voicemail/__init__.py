"""Voicemail (option 2): recording, download, offline transcription, the staff inbox."""
