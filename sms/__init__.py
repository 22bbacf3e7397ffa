"""SMS: sender over the SDK, outbox, templates, callbacks and keyword replies."""
