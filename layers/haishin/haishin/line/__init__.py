"""LINE: signature checks (stdlib only, for the webhook path) and the one Messaging API client."""
