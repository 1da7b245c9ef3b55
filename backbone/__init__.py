"""The shared backbone of Maillage: contracts, outbox, inbox, database session, config.

Domain rules never live here; every service stands on it.
"""
