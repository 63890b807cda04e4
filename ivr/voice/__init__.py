"""The ``voice`` blueprint: Twilio's signed webhooks, answered with TwiML."""
