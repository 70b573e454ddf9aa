"""The demo site on the top floor: ``manage.py load_demo`` loads accounts, a catalogue, events and tickets.

It may import every app (and ``cmsplugins`` when the CMS is installed); nothing imports it.
"""
