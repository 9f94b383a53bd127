"""Settings are grouped by concern in the code, but operators keep naming them as before:
`VIGIE_REDIS_URL`, `VIGIE_ACK_DELAY_S`..."""

import pytest
from pydantic import SecretStr, ValidationError

from schemas.crisis import Channel
from services.common.config import Settings


def test_the_environment_names_each_setting_as_operators_know_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIGIE_REDIS_URL", "redis://state:6379/0")
    monkeypatch.setenv("VIGIE_ACK_DELAY_S", "120")
    monkeypatch.setenv("VIGIE_RATE_LIMITS", '{"sms": 500}')
    monkeypatch.setenv("VIGIE_SMS_URLS", '["json://second/sms?:to={to}"]')
    settings = Settings()
    assert settings.redis.url == "redis://state:6379/0"
    assert settings.leaders.ack_delay_s == 120.0
    assert settings.providers.rate_limits == {Channel.SMS: 500.0}
    assert [name for name, _ in settings.providers.urls(Channel.SMS)] == ["VIGIE_SMS_URLS[0]"]
    assert settings.as_env()["VIGIE_RATE_LIMITS"] == '{"sms": 500.0}'
    assert Settings(ack_delay_s=5).leaders.ack_delay_s == 5.0, "arguments win over the env"


def test_a_bad_value_is_refused_by_its_variables_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_WAVE_EXTRA", "several")
    with pytest.raises(ValidationError, match="wave_extra"):
        Settings()


def test_changed_settings_keep_the_others_and_refuse_unknown_names() -> None:
    settings = Settings(redis_url="redis://a", sms_url=SecretStr("json://gw/sms?:to={to}"))
    changed = settings.changed(retry_max_s=2.0)
    assert changed.delivery.retry_max_s == 2.0 and settings.delivery.retry_max_s == 30.0
    assert changed.redis.url == "redis://a" and changed.providers.sms_url is not None
    assert changed.public(exclude_unset=True).keys() == {"redis_url", "sms_url", "retry_max_s"}
    with pytest.raises(TypeError, match="no setting is named 'retry_max'"):
        settings.changed(retry_max=2.0)
    with pytest.raises(ValidationError):
        settings.changed(job_size=0)
