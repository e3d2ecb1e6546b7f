"""A product's thank-you message is a template: one over the sandbox's caps is refused when the product is saved."""

from __future__ import annotations

import pytest
from pay_env import Env

from haishin.errors import ValidationFailed


def test_a_thank_you_message_over_the_caps_is_refused_at_its_field(env: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        env.product(thank_you_message="{% for i in range(50000) %}{% endfor %}ありがとうございます")
    assert caught.value.where == "thank_you_message" and "range" in caught.value.message
    assert env.product(thank_you_message="{{ name }}さん、ありがとうございます")
