"""One typed settings object, loaded from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.sentinel import DEFAULT_MASTER, SentinelConfigError, SentinelTarget, sentinel_target

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")
SURFACES = ("all", "callbacks", "console")
# Signs sessions and keys the hashes of phone and ID numbers outside production, so every process
# of one development machine (web, worker, CLI) hashes the same number the same way.
DEVELOPMENT_SECRET = "development-only-key"
# A claimed message waits for its record at most one whole call (SMS_SEND_TIMEOUT) plus a
# later wave's wait for send tokens (SMS_RATE_WAIT_SECONDS); its lease must be far longer.
LEASE_FACTOR = 2.0


class ConfigError(RuntimeError):
    """The settings cannot run the service."""


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the worker and the CLI need to know."""

    app_env: str = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    database_replica_url: str = ""  # lookups go there while it answers, else to the primary
    db_pool_size: int = 2  # connections each engine keeps (two engines per process)
    db_max_overflow: int = 2  # more that each engine may open in a burst, closed after use
    redis_url: str = ""
    redis_sentinels: str = ""  # host:port,host:port... of the sentinels naming the master
    redis_sentinel_master: str = DEFAULT_MASTER
    redis_password: str = ""
    redis_sentinel_password: str = ""
    redis_db: int = 0
    at_username: str = "sandbox"
    at_api_key: str = ""
    at_sender_id: str = ""
    at_api_base_url: str = ""
    at_callback_token: str = ""
    ussd_service_codes: tuple[str, ...] = ("*384*1919#",)
    secret_key: str = ""
    timezone: str = "Africa/Nairobi"
    host: str = "127.0.0.1"
    trusted_proxies: int = 0
    port: int = 8000
    web_workers: int = 2
    web_threads: int = 2
    web_surface: str = "all"  # which routes this web process serves: all, callbacks or console
    console_port: int = 0  # the console's own server in `make run` (0: PORT + 2)
    web_body_seconds: float = 10.0
    web_max_body: int = 8 * 1024 * 1024
    access_log: bool = True
    # A worker's or scheduler's own /healthz, /readyz and /metrics (0: none)
    metrics_port: int = 0
    metrics_host: str = ""  # empty: HOST
    worker_queues: tuple[str, ...] = ()  # empty: every queue
    worker_scheduler: bool = True
    default_language: str = "en"
    log_json: bool = False
    log_level: str = "INFO"
    sms_batch_size: int = 100
    sms_rate_per_second: float = 50.0
    metrics_dir: str = ""
    readiness_timeout: float = 1.0
    # Waits on dependencies (client side) and how long a failed one is left alone
    db_connect_timeout: float = 1.0
    db_tcp_user_timeout: float = 5.0
    redis_timeout: float = 0.5
    worker_redis_timeout: float = 5.0
    breaker_open_seconds: float = 3.0
    slot_horizon_days: int = 14
    # Staff console
    login_max_failures: int = 5
    login_account_max_failures: int = 50
    login_lockout_minutes: int = 15
    login_ip_max_failures: int = 30
    login_ip_window_minutes: int = 15
    staff_session_idle_minutes: int = 30
    staff_session_max_hours: int = 12
    broadcast_approval_threshold: int = 100
    broadcast_redrive_seconds: float = 60.0
    sms_price_per_part: float = 0.80
    simulator_phone_prefix: str = "+25470000"
    # USSD
    ussd_session_ttl: int = 600
    ussd_resume_seconds: int = 300
    ussd_hop_deadline: float = 1.2
    ussd_statement_timeout: float = 3.0
    worker_statement_timeout: float = 60.0
    ussd_status_lookups_per_hour: int = 20
    ussd_status_miss_limit: int = 5
    ussd_status_lockout_seconds: int = 1800
    ussd_verify_checks_per_hour: int = 10
    ussd_max_active_bookings: int = 2
    ussd_booking_days: int = 5
    visit_grace_minutes: int = 15  # after a slot starts: late check-ins queue from arrival
    visit_rating_hours: int = 48  # a served visit's rating by SMS reply is taken this long
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
    # Retention (days each data class is kept; see services/retention.py)
    retention_outbox_days: int = 90
    retention_inbound_days: int = 90
    retention_ussd_event_days: int = 90
    retention_feedback_days: int = 365
    retention_booking_days: int = 365
    retention_document_days: int = 365
    retention_ticket_days: int = 365
    retention_status_history_days: int = 730
    retention_promise_days: int = 90
    retention_staff_session_days: int = 90
    retention_audit_days: int = 730
    retention_batch_size: int = 500
    retention_max_seconds: float = 480.0

    def __post_init__(self) -> None:
        if self.app_env not in ENVIRONMENTS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'huduma.db'}")
        if self.web_surface not in SURFACES:
            raise ConfigError(f"WEB_SURFACE must be one of {', '.join(SURFACES)}")
        if not self.console_port:
            object.__setattr__(self, "console_port", self.port + 2)
        if not self.metrics_host:
            object.__setattr__(self, "metrics_host", self.host)
        if self.trusted_proxies < 0:
            raise ConfigError("TRUSTED_PROXIES must be 0 or more")
        if not self.secret_key and not self.is_production:
            object.__setattr__(self, "secret_key", DEVELOPMENT_SECRET)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TIMEZONE {self.timezone!r} is not a known time zone") from None
        check_sms_lease(self)
        check_engines(self)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The local time zone of slots, quiet hours and reminders."""
        return ZoneInfo(self.timezone)

    @property
    def redis_embedded(self) -> bool:
        """True when neither REDIS_URL nor REDIS_SENTINELS is set: the bundled Redis serves."""
        return not self.redis_url and not self.redis_sentinels.strip()

    @cached_property
    def sentinel(self) -> SentinelTarget | None:
        """The sentinels naming the Redis master, when Redis is reached through Sentinel."""
        return sentinel_target(
            self.redis_url, self.redis_sentinels, self.redis_sentinel_master, self.redis_db,
            self.redis_password, self.redis_sentinel_password,
        )  # fmt: skip

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


def check_sms_lease(settings: Settings) -> None:
    """Refuse a lease a send could outlive: its outcome would be discarded and the SMS resent."""
    if settings.sms_send_timeout <= 0:
        raise ConfigError("SMS_SEND_TIMEOUT must be above 0 seconds")
    needed = LEASE_FACTOR * (settings.sms_send_timeout + settings.sms_rate_wait_seconds)
    if settings.sms_lease_seconds < needed:
        raise ConfigError(
            f"SMS_LEASE_SECONDS ({settings.sms_lease_seconds:g}) must be at least "
            f"{LEASE_FACTOR:g} x (SMS_SEND_TIMEOUT + SMS_RATE_WAIT_SECONDS) = {needed:g}, "
            "or a slow send could outlive its claim and be sent twice"
        )


def check_engines(settings: Settings) -> None:
    """Refuse Redis and database settings that cannot be read or contradict each other."""
    try:
        settings.sentinel  # noqa: B018 (read now: a bad value must stop the start, not a hop)
    except SentinelConfigError as exc:
        raise ConfigError(f"Redis Sentinel settings: {exc}") from None
    if settings.db_pool_size < 1 or settings.db_max_overflow < 0:
        raise ConfigError("DB_POOL_SIZE must be at least 1 and DB_MAX_OVERFLOW at least 0")
    if settings.db_pool_size + settings.db_max_overflow < settings.web_threads:
        raise ConfigError("DB_POOL_SIZE + DB_MAX_OVERFLOW must be at least WEB_THREADS, "
                          "or a request thread would wait for a connection")  # fmt: skip
    urls = (settings.database_replica_url, settings.database_url)
    if urls[0] and not all(url.startswith("postgresql") for url in urls):
        raise ConfigError("DATABASE_REPLICA_URL needs PostgreSQL there and in DATABASE_URL")


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip())


def _window(value: str) -> tuple[str, str]:
    start, _, end = value.partition("-")
    return start.strip(), end.strip()


RETENTION_DEFAULTS = {"outbox": 90, "inbound": 90, "ussd_event": 90, "feedback": 365,
                      "booking": 365, "document": 365, "ticket": 365, "status_history": 730,
                      "promise": 90, "staff_session": 90, "audit": 730}  # fmt: skip


def _retention(env: Mapping[str, str]) -> dict[str, Any]:
    """The RETENTION_<CLASS>_DAYS settings, the batch size and the time budget of a run."""
    days = {f"retention_{name}_days": int(env.get(f"RETENTION_{name.upper()}_DAYS", str(default)))
            for name, default in RETENTION_DEFAULTS.items()}  # fmt: skip
    return {**days, "retention_batch_size": int(env.get("RETENTION_BATCH_SIZE", "500")),
            "retention_max_seconds": float(env.get("RETENTION_MAX_SECONDS", "480"))}  # fmt: skip


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment and refuse unsafe production ones."""
    env = os.environ if environ is None else environ
    app_env = env.get("APP_ENV", "development")
    var_dir = Path(env.get("VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    settings = Settings(
        app_env=app_env,
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL", ""),
        database_replica_url=env.get("DATABASE_REPLICA_URL", ""),
        db_pool_size=int(env.get("DB_POOL_SIZE", "2")),
        db_max_overflow=int(env.get("DB_MAX_OVERFLOW", "2")),
        redis_url=env.get("REDIS_URL", ""),
        redis_sentinels=env.get("REDIS_SENTINELS", ""),
        redis_sentinel_master=env.get("REDIS_SENTINEL_MASTER", DEFAULT_MASTER),
        redis_password=env.get("REDIS_PASSWORD", ""),
        redis_sentinel_password=env.get("REDIS_SENTINEL_PASSWORD", ""),
        redis_db=int(env.get("REDIS_DB", "0")),
        at_username=env.get("AT_USERNAME", "sandbox"),
        at_api_key=env.get("AT_API_KEY", ""),
        at_sender_id=env.get("AT_SENDER_ID", ""),
        at_api_base_url=env.get("AT_API_BASE_URL", "").rstrip("/"),
        at_callback_token=env.get("AT_CALLBACK_TOKEN", ""),
        ussd_service_codes=_codes(env.get("USSD_SERVICE_CODES", "*384*1919#")),
        secret_key=env.get("SECRET_KEY", ""),
        timezone=env.get("TIMEZONE", "Africa/Nairobi"),
        host=env.get("HOST", "127.0.0.1"),
        trusted_proxies=int(env.get("TRUSTED_PROXIES", "0")),
        port=int(env.get("PORT", "8000")),
        web_workers=int(env.get("WEB_WORKERS", "2")),
        web_threads=int(env.get("WEB_THREADS", "2")),
        web_surface=env.get("WEB_SURFACE", "all"),
        console_port=int(env.get("CONSOLE_PORT", "0")),
        web_body_seconds=float(env.get("WEB_BODY_SECONDS", "10")),
        web_max_body=int(env.get("WEB_MAX_BODY", str(8 * 1024 * 1024))),
        access_log=_flag(env.get("ACCESS_LOG", "1")),
        metrics_port=int(env.get("METRICS_PORT", "0")),
        metrics_host=env.get("METRICS_HOST", ""),
        worker_queues=_codes(env.get("WORKER_QUEUES", "")),
        worker_scheduler=_flag(env.get("WORKER_SCHEDULER", "1")),
        default_language=env.get("DEFAULT_LANGUAGE", "en"),
        log_json=_flag(env.get("LOG_JSON", "1" if app_env == "production" else "0")),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        sms_batch_size=int(env.get("SMS_BATCH_SIZE", "100")),
        sms_rate_per_second=float(env.get("SMS_RATE_PER_SECOND", "50")),
        metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        readiness_timeout=float(env.get("READINESS_TIMEOUT", "1")),
        db_connect_timeout=float(env.get("DB_CONNECT_TIMEOUT", "1")),
        db_tcp_user_timeout=float(env.get("DB_TCP_USER_TIMEOUT", "5")),
        redis_timeout=float(env.get("REDIS_TIMEOUT", "0.5")),
        worker_redis_timeout=float(env.get("WORKER_REDIS_TIMEOUT", "5")),
        breaker_open_seconds=float(env.get("BREAKER_OPEN_SECONDS", "3")),
        slot_horizon_days=int(env.get("SLOT_HORIZON_DAYS", "14")),
        # Staff console
        login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
        login_account_max_failures=int(env.get("LOGIN_ACCOUNT_MAX_FAILURES", "50")),
        login_lockout_minutes=int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
        login_ip_max_failures=int(env.get("LOGIN_IP_MAX_FAILURES", "30")),
        login_ip_window_minutes=int(env.get("LOGIN_IP_WINDOW_MINUTES", "15")),
        staff_session_idle_minutes=int(env.get("STAFF_SESSION_IDLE_MINUTES", "30")),
        staff_session_max_hours=int(env.get("STAFF_SESSION_MAX_HOURS", "12")),
        broadcast_approval_threshold=int(env.get("BROADCAST_APPROVAL_THRESHOLD", "100")),
        broadcast_redrive_seconds=float(env.get("BROADCAST_REDRIVE_SECONDS", "60")),
        sms_price_per_part=float(env.get("SMS_PRICE_PER_PART", "0.80")),
        simulator_phone_prefix=env.get("SIMULATOR_PHONE_PREFIX", "+25470000").strip(),
        # USSD
        ussd_session_ttl=int(env.get("USSD_SESSION_TTL", "600")),
        ussd_resume_seconds=int(env.get("USSD_RESUME_SECONDS", "300")),
        ussd_hop_deadline=float(env.get("USSD_HOP_DEADLINE", "1.2")),
        ussd_statement_timeout=float(env.get("USSD_STATEMENT_TIMEOUT", "3")),
        worker_statement_timeout=float(env.get("WORKER_STATEMENT_TIMEOUT", "60")),
        ussd_status_lookups_per_hour=int(env.get("USSD_STATUS_LOOKUPS_PER_HOUR", "20")),
        ussd_status_miss_limit=int(env.get("USSD_STATUS_MISS_LIMIT", "5")),
        ussd_status_lockout_seconds=int(env.get("USSD_STATUS_LOCKOUT_SECONDS", "1800")),
        ussd_verify_checks_per_hour=int(env.get("USSD_VERIFY_CHECKS_PER_HOUR", "10")),
        ussd_max_active_bookings=int(env.get("USSD_MAX_ACTIVE_BOOKINGS", "2")),
        ussd_booking_days=int(env.get("USSD_BOOKING_DAYS", "5")),
        visit_grace_minutes=int(env.get("VISIT_GRACE_MINUTES", "15")),
        visit_rating_hours=int(env.get("VISIT_RATING_HOURS", "48")),
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
        **_retention(env),
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
        missing.append("REDIS_URL or REDIS_SENTINELS (a real Redis, not the embedded one)")
    return missing


def check_production(settings: Settings) -> None:
    """Raise ConfigError naming what production lacks; other environments pass."""
    if not settings.is_production:
        return
    missing = missing_production_settings(settings)
    if missing:
        raise ConfigError("production refuses to start; missing: " + "; ".join(missing))
