"""The naive shop's tables (nameko-examples' orders models, and a products table where the example
keeps Redis hashes): one declarative base, each service creating only its own tables."""

from __future__ import annotations

import os

from nameko.extensions import DependencyProvider
from sqlalchemy import ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    passenger_capacity: Mapped[int] = mapped_column(Integer, default=0)
    maximum_speed: Mapped[int] = mapped_column(Integer, default=0)
    in_stock: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_details: Mapped[list[OrderDetail]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )


class OrderDetail(Base):
    __tablename__ = "order_details"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(40))
    price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    order: Mapped[Order] = relationship(back_populates="order_details")


class DatabaseSession(DependencyProvider):
    """A session per worker, closed after it (what nameko-sqlalchemy's DatabaseSession does)."""

    def __init__(self, variable: str):
        self.variable = variable

    def setup(self):
        import eventlet.patcher

        if eventlet.patcher.is_monkey_patched("socket"):
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()
        self.engine = create_engine(os.environ[self.variable], pool_size=10, max_overflow=10)
        self.sessions = sessionmaker(bind=self.engine)
        self.open = {}

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.sessions()
        self.open[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.open.pop(worker_ctx, None)
        if session is not None:
            session.close()
