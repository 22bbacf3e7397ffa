"""USSD machinery: wire protocol, session store, engine and callback views."""
