"""Pages for the centre's staff (blueprint "staff", /staff/...): the voicemail inbox."""
