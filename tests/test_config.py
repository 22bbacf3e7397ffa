"""Settings: defaults, parsing, and production refusing to start without secrets."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings

PRODUCTION_OK = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 32,
    "AT_API_KEY": "key",
    "AT_CALLBACK_TOKEN": "t" * 32,
    "DATABASE_URL": "postgresql+psycopg://huduma@db/huduma",
    "REDIS_URL": "redis://cache:6379/0",
}


def test_development_defaults_are_embedded():
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "var/huduma.db"
    )
    assert settings.redis_embedded
    assert settings.effective_redis_url.endswith("var/redis.sock")
    assert (settings.at_username, settings.timezone) == ("sandbox", "Africa/Nairobi")


def test_values_are_parsed_from_the_environment():
    settings = load_settings(
        {
            "USSD_SERVICE_CODES": "*384*1#, *384*2#",
            "PORT": "9000",
            "AT_API_BASE_URL": "http://127.0.0.1:9999/version1/",
        }
    )
    assert settings.ussd_service_codes == ("*384*1#", "*384*2#")
    assert settings.port == 9000
    assert settings.at_api_base_url == "http://127.0.0.1:9999/version1"


def test_production_with_everything_starts():
    settings = load_settings(PRODUCTION_OK)
    assert settings.is_production and settings.log_json


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("AT_API_KEY", "AT_API_KEY"),
        ("AT_CALLBACK_TOKEN", "AT_CALLBACK_TOKEN"),
        ("DATABASE_URL", "DATABASE_URL"),
        ("REDIS_URL", "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_without(dropped, named):
    env = {k: v for k, v in PRODUCTION_OK.items() if k != dropped}
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_production_refuses_sqlite():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({**PRODUCTION_OK, "DATABASE_URL": "sqlite:////tmp/x.db"})


def test_production_names_every_missing_setting_at_once():
    with pytest.raises(ConfigError) as error:
        load_settings({"APP_ENV": "production"})
    for name in ("SECRET_KEY", "AT_API_KEY", "AT_CALLBACK_TOKEN", "DATABASE_URL", "REDIS_URL"):
        assert name in str(error.value)


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_settings({"APP_ENV": "staging"})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMS_LEASE_SECONDS": "30"}, "SMS_LEASE_SECONDS"),  # 2 x (10 + 10) = 40 needed
        ({"SMS_LEASE_SECONDS": "60", "SMS_SEND_TIMEOUT": "25"}, "SMS_LEASE_SECONDS"),
        ({"SMS_SEND_TIMEOUT": "0"}, "SMS_SEND_TIMEOUT"),
    ],
)
def test_a_lease_a_send_could_outlive_is_refused(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_a_lease_far_above_the_whole_send_is_accepted():
    settings = load_settings({"SMS_LEASE_SECONDS": "40", "SMS_SEND_TIMEOUT": "10"})
    assert settings.sms_lease_seconds == 40.0
    with pytest.raises(ConfigError, match="SMS_LEASE_SECONDS"):
        settings.with_overrides(sms_send_timeout=30.0)  # every copy is checked too
