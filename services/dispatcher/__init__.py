"""Dispatcher: fan-out jobs to push, SMS and email through apprise, once each."""
