"""One typed settings object, loaded from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")
# Signs sessions and keys the hashes of phone and ID numbers outside production, so every process
# of one development machine (web, worker, CLI) hashes the same number the same way.
DEVELOPMENT_SECRET = "development-only-key"


class ConfigError(RuntimeError):
    """The settings cannot run the service."""


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the worker and the CLI need to know."""

    app_env: str = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    redis_url: str = ""
    at_username: str = "sandbox"
    at_api_key: str = ""
    at_sender_id: str = ""
    at_api_base_url: str = ""
    at_callback_token: str = ""
    ussd_service_codes: tuple[str, ...] = ("*384*1919#",)
    secret_key: str = ""
    timezone: str = "Africa/Nairobi"
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 2
    web_threads: int = 2
    default_language: str = "en"
    log_json: bool = False
    log_level: str = "INFO"
    sms_batch_size: int = 100
    sms_rate_per_second: float = 50.0
    metrics_dir: str = ""
    readiness_timeout: float = 1.0
    slot_horizon_days: int = 14
    # Staff console
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_ip_max_failures: int = 30
    login_ip_window_minutes: int = 15
    broadcast_approval_threshold: int = 100
    sms_price_per_part: float = 0.80
    simulator_phone_prefix: str = "+25470000"
    # USSD
    ussd_session_ttl: int = 600
    ussd_resume_seconds: int = 300
    ussd_hop_deadline: float = 5.0
    ussd_statement_timeout: float = 3.0
    worker_statement_timeout: float = 60.0
    ussd_status_lookups_per_hour: int = 20
    ussd_status_miss_limit: int = 5
    ussd_status_lockout_seconds: int = 1800
    ussd_verify_checks_per_hour: int = 10
    ussd_max_active_bookings: int = 2
    ussd_booking_days: int = 5
    # SMS pipeline
    sms_send_timeout: float = 10.0
    sms_retry_hours: float = 24.0
    sms_retry_base_seconds: float = 30.0
    sms_retry_max_seconds: float = 3600.0
    sms_lease_seconds: float = 300.0
    sms_sweep_seconds: float = 30.0
    sms_awareness_window: tuple[str, str] = ("08:00", "18:00")
    sms_replies_per_hour: int = 5
    reminder_days: tuple[int, ...] = (7, 21)
    reminder_window: tuple[str, str] = ("08:00", "19:00")
    reminder_gap_days: int = 3
    sms_send_concurrency: int = 16
    sms_rate_wait_seconds: float = 10.0
    sms_failure_ticket_count: int = 3
    sms_failure_ticket_days: int = 30

    def __post_init__(self) -> None:
        if self.app_env not in ENVIRONMENTS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'huduma.db'}")
        if not self.secret_key and not self.is_production:
            object.__setattr__(self, "secret_key", DEVELOPMENT_SECRET)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TIMEZONE {self.timezone!r} is not a known time zone") from None

    @cached_property
    def tz(self) -> ZoneInfo:
        """The local time zone of slots, quiet hours and reminders."""
        return ZoneInfo(self.timezone)

    @property
    def redis_embedded(self) -> bool:
        """True when no REDIS_URL was given and the bundled Redis serves us."""
        return not self.redis_url

    @property
    def redis_socket(self) -> Path:
        """Where the embedded Redis listens."""
        return self.var_dir / "redis.sock"

    @property
    def effective_redis_url(self) -> str:
        """The URL clients use: the configured one or the embedded socket."""
        return self.redis_url or f"unix://{self.redis_socket}"

    @property
    def is_production(self) -> bool:
        """True for APP_ENV=production."""
        return self.app_env == "production"

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (tests build settings this way)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip())


def _window(value: str) -> tuple[str, str]:
    start, _, end = value.partition("-")
    return start.strip(), end.strip()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment and refuse unsafe production ones."""
    env = os.environ if environ is None else environ
    app_env = env.get("APP_ENV", "development")
    var_dir = Path(env.get("VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    settings = Settings(
        app_env=app_env,
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL", ""),
        redis_url=env.get("REDIS_URL", ""),
        at_username=env.get("AT_USERNAME", "sandbox"),
        at_api_key=env.get("AT_API_KEY", ""),
        at_sender_id=env.get("AT_SENDER_ID", ""),
        at_api_base_url=env.get("AT_API_BASE_URL", "").rstrip("/"),
        at_callback_token=env.get("AT_CALLBACK_TOKEN", ""),
        ussd_service_codes=_codes(env.get("USSD_SERVICE_CODES", "*384*1919#")),
        secret_key=env.get("SECRET_KEY", ""),
        timezone=env.get("TIMEZONE", "Africa/Nairobi"),
        host=env.get("HOST", "127.0.0.1"),
        port=int(env.get("PORT", "8000")),
        web_workers=int(env.get("WEB_WORKERS", "2")),
        web_threads=int(env.get("WEB_THREADS", "2")),
        default_language=env.get("DEFAULT_LANGUAGE", "en"),
        log_json=_flag(env.get("LOG_JSON", "1" if app_env == "production" else "0")),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        sms_batch_size=int(env.get("SMS_BATCH_SIZE", "100")),
        sms_rate_per_second=float(env.get("SMS_RATE_PER_SECOND", "50")),
        metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        readiness_timeout=float(env.get("READINESS_TIMEOUT", "1")),
        slot_horizon_days=int(env.get("SLOT_HORIZON_DAYS", "14")),
        # Staff console
        login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
        login_lockout_minutes=int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
        login_ip_max_failures=int(env.get("LOGIN_IP_MAX_FAILURES", "30")),
        login_ip_window_minutes=int(env.get("LOGIN_IP_WINDOW_MINUTES", "15")),
        broadcast_approval_threshold=int(env.get("BROADCAST_APPROVAL_THRESHOLD", "100")),
        sms_price_per_part=float(env.get("SMS_PRICE_PER_PART", "0.80")),
        simulator_phone_prefix=env.get("SIMULATOR_PHONE_PREFIX", "+25470000").strip(),
        # USSD
        ussd_session_ttl=int(env.get("USSD_SESSION_TTL", "600")),
        ussd_resume_seconds=int(env.get("USSD_RESUME_SECONDS", "300")),
        ussd_hop_deadline=float(env.get("USSD_HOP_DEADLINE", "5")),
        ussd_statement_timeout=float(env.get("USSD_STATEMENT_TIMEOUT", "3")),
        worker_statement_timeout=float(env.get("WORKER_STATEMENT_TIMEOUT", "60")),
        ussd_status_lookups_per_hour=int(env.get("USSD_STATUS_LOOKUPS_PER_HOUR", "20")),
        ussd_status_miss_limit=int(env.get("USSD_STATUS_MISS_LIMIT", "5")),
        ussd_status_lockout_seconds=int(env.get("USSD_STATUS_LOCKOUT_SECONDS", "1800")),
        ussd_verify_checks_per_hour=int(env.get("USSD_VERIFY_CHECKS_PER_HOUR", "10")),
        ussd_max_active_bookings=int(env.get("USSD_MAX_ACTIVE_BOOKINGS", "2")),
        ussd_booking_days=int(env.get("USSD_BOOKING_DAYS", "5")),
        # SMS pipeline
        sms_send_timeout=float(env.get("SMS_SEND_TIMEOUT", "10")),
        sms_retry_hours=float(env.get("SMS_RETRY_HOURS", "24")),
        sms_retry_base_seconds=float(env.get("SMS_RETRY_BASE_SECONDS", "30")),
        sms_retry_max_seconds=float(env.get("SMS_RETRY_MAX_SECONDS", "3600")),
        sms_lease_seconds=float(env.get("SMS_LEASE_SECONDS", "300")),
        sms_sweep_seconds=float(env.get("SMS_SWEEP_SECONDS", "30")),
        sms_awareness_window=_window(env.get("SMS_AWARENESS_WINDOW", "08:00-18:00")),
        sms_replies_per_hour=int(env.get("SMS_REPLIES_PER_HOUR", "5")),
        reminder_days=tuple(int(d) for d in _codes(env.get("REMINDER_DAYS", "7,21"))),
        reminder_window=_window(env.get("REMINDER_WINDOW", "08:00-19:00")),
        reminder_gap_days=int(env.get("REMINDER_GAP_DAYS", "3")),
        sms_send_concurrency=int(env.get("SMS_SEND_CONCURRENCY", "16")),
        sms_rate_wait_seconds=float(env.get("SMS_RATE_WAIT_SECONDS", "10")),
        sms_failure_ticket_count=int(env.get("SMS_FAILURE_TICKET_COUNT", "3")),
        sms_failure_ticket_days=int(env.get("SMS_FAILURE_TICKET_DAYS", "30")),
    )
    check_production(settings)
    return settings


def missing_production_settings(settings: Settings) -> list[str]:
    """Name every setting production needs but does not have."""
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", settings.secret_key),
            ("AT_API_KEY", settings.at_api_key),
            ("AT_CALLBACK_TOKEN", settings.at_callback_token),
        )
        if not value
    ]
    if settings.database_url.startswith("sqlite"):
        missing.append("DATABASE_URL (a real database, not the embedded SQLite)")
    if settings.redis_embedded:
        missing.append("REDIS_URL (a real Redis, not the embedded one)")
    return missing


def check_production(settings: Settings) -> None:
    """Raise ConfigError naming what production lacks; other environments pass."""
    if not settings.is_production:
        return
    missing = missing_production_settings(settings)
    if missing:
        raise ConfigError("production refuses to start; missing: " + "; ".join(missing))
