"""The members service's declarative base; its tables live in the modules beside this one."""

from sqlalchemy.orm import DeclarativeBase

from backbone.tables import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
