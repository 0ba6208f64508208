"""The web service: pywb's URL scheme per outlet (CDX API, Memento, archived responses), article
JSON and full-text search, and server-rendered pages for people. ``create_app`` builds it."""

from archive.api.app import create_app

__all__ = ["create_app"]
