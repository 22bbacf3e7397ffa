"""The agency status-feed API."""
