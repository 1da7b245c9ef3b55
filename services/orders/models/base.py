"""The declarative base of the orders service's tables (one database: its own)."""

from sqlalchemy.orm import DeclarativeBase

from backbone.tables import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
