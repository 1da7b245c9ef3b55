"""Daily roll-ups of the coordinator's order figures (services/orders/figures.py): a year of a
national network is millions of orders, too many to count at each look at the dashboard. A day is
rolled up once it is over (Europe/Paris) and its orders can no longer change its figures: orders are
counted on the day they were placed, sales on the day their order was collected or delivered (both
final). A month whose days are all rolled up is rolled up again, from the daily rows, so that a
year is read from twelve rows per village rather than 365."""
from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.orders.models.base import Base


class RolledDay(Base):
    """A day whose figures are in daily_villages, daily_sales and daily_partner_sales."""

    __tablename__ = "rolled_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class DailyVillage(Base):
    """Per village and day: the orders placed, and the sales of the orders closed (what the
    villages' table of a period sums: a year of a national network is 365,000 small rows)."""

    __tablename__ = "daily_villages"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class DailySales(Base):
    """Sales (VAT included, refused lines left out) of the orders closed that day, per partner."""

    __tablename__ = "daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class DailyPartnerSales(Base):
    """Per partner and day, every village together: what the coordination page shows of the partners."""

    __tablename__ = "daily_partner_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class RolledMonth(Base):
    """A month (its first day) whose figures are in monthly_villages, monthly_partner_sales and
    monthly_sales: rolled up once each of its days (from the first order's day on) is in rolled_days."""

    __tablename__ = "rolled_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class MonthlyVillage(Base):
    """daily_villages summed over a month (`month` is its first day)."""

    __tablename__ = "monthly_villages"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class MonthlyPartnerSales(Base):
    """daily_partner_sales summed over a month (`month` is its first day)."""

    __tablename__ = "monthly_partner_sales"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class MonthlySales(Base):
    """daily_sales summed over a month (`month` is its first day): the sales by village and partner
    of a period's whole months (a national year is ~550,000 rows here, ~1.5 million daily)."""

    __tablename__ = "monthly_sales"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)
