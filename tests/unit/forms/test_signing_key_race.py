"""The first sends of a new workspace run concurrently (several containers) and each needs the workspace's signing
key, created on first use (the 配信停止 URL of every step message is signed with it). Two first uses racing must end
with one key that signs for both: no error (the loser's send used to raise ResourceExistsException after it had
claimed the delivery), and no key replaced under links already sent (docs/production/race.md)."""

from __future__ import annotations

from typing import Any

import boto3

from haishin.forms import tokens
from haishin.secrets import InMemorySecretStore, SecretsManagerStore, secret_name

WS = "w_key_race"


class Racing:
    """A Secrets Manager client of one container: when it has found no key twice (the first read and the re-read
    after invalidating), ``meanwhile`` runs, i.e. the other container creates the key in between."""

    def __init__(self, client: Any, meanwhile: Any) -> None:
        self.client = client
        self.meanwhile = meanwhile
        self.misses = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_secret_value(self, **kwargs: Any) -> Any:
        try:
            return self.client.get_secret_value(**kwargs)
        except self.client.exceptions.ResourceNotFoundException:
            self.misses += 1
            if self.misses == 2 and self.meanwhile is not None:
                meanwhile, self.meanwhile = self.meanwhile, None
                meanwhile()
            raise


def test_two_first_uses_racing_share_one_key_and_every_token_verifies(aws: Any, manual_clock: Any) -> None:
    client = boto3.client("secretsmanager")
    first = tokens.LinkSigner(SecretsManagerStore(client))
    minted: dict[str, str] = {}

    def other_container_first() -> None:
        minted["first"] = first.mint(tokens.LINK, WS, "s_a", "l_1")

    second = tokens.LinkSigner(SecretsManagerStore(Racing(client, other_container_first)))
    minted["second"] = second.mint(tokens.LINK, WS, "s_b", "l_1")  # raised, or replaced the first key, before

    fresh = tokens.LinkSigner(SecretsManagerStore(client))  # a third container, nothing cached
    assert fresh.verify(tokens.LINK, WS, "l_1", minted["first"]).subscriber_id == "s_a"
    assert fresh.verify(tokens.LINK, WS, "l_1", minted["second"]).subscriber_id == "s_b"
    assert first.key(WS, create=False) == second.key(WS, create=False) == fresh.key(WS, create=False)


def test_create_keeps_the_first_value(aws: Any) -> None:
    name = secret_name(WS, "forms", "signing")
    for store in (SecretsManagerStore(boto3.client("secretsmanager")), InMemorySecretStore()):
        assert store.create(name, {"key": "one"}) == {"key": "one"}
        assert store.create(name, {"key": "two"}) == {"key": "one"}
        assert store.get(name) == {"key": "one"}
        store.delete(name)
