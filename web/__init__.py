"""Inbound replies: the HTTP service Twilio and candidates reach."""
