"""The HTTP edge all blueprints share: request unit of work, callback auth, errors, health."""
