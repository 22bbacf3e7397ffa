"""Time the fan-out of one broadcast into the outbox (127.0.0.1 only; bounded by --recipients)."""

from __future__ import annotations

import argparse
import time

from sqlalchemy import delete

from config import load_settings
from jobs.broadcasts import fan_out
from models import Base, Broadcast, Message, StaffUser
from ops.runtime import build_runtime
from services.audiences import Audience
from services.broadcasts import compose


def main() -> None:
    """Compose an approved broadcast of N synthetic phones, fan it out, report the rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=20_000)
    args = parser.parse_args()
    found = build_runtime(load_settings())
    Base.metadata.create_all(found.engine)
    phones = [f"+2547{n:08d}" for n in range(min(args.recipients, 200_000))]
    with found.session_factory.begin() as session:
        author = StaffUser(username=f"bench-{time.time_ns()}", full_name="Bench", password_hash="-",
                           role="supervisor")  # fmt: skip
        session.add(author)
        session.flush()
        audience = Audience("csv", "bench", phones)
        broadcast = compose(session, title="bench", body_en="Hello", body_sw="Habari",
                            message_class="transactional", audience=audience,
                            creator_id=author.id, scheduled_for=None)  # fmt: skip
        broadcast.status = "approved"
    started = time.perf_counter()
    batches = fan_out(broadcast.id, found)
    elapsed = time.perf_counter() - started
    print(f"{len(phones)} messages in {batches} batches: {elapsed:.1f} s, "
          f"{len(phones) / elapsed:.0f} messages/s")  # fmt: skip
    with found.session_factory.begin() as session:
        session.execute(delete(Message).where(Message.broadcast_id == broadcast.id))
        session.execute(delete(Broadcast).where(Broadcast.id == broadcast.id))


if __name__ == "__main__":
    main()
