"""What started an enrollment (``EnrollmentModel.trigger``), for the triggers more than one package names."""

FRIEND_ADDED = "friend_added"  # the follow (haishin.ingest), a scenario's 友だち追加時 trigger
# an inflow route's start_scenario action (haishin.routes runs a route's actions as this actor, which
# haishin.actions hands to the scenario engine as the trigger)
ROUTE_STARTED = "route"
