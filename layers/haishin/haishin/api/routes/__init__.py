"""One module per area, each exposing ``router`` (a Powertools Router). ``haishin.api.app`` discovers them all."""
