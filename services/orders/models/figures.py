"""Daily roll-ups of the coordinator's order figures (services/orders/figures.py): a year of a
national network is millions of orders, too many to count at each look at the dashboard. A day is
rolled up once it is over (Europe/Paris) and its orders can no longer change its figures: orders are
counted on the day they were placed, sales on the day their order was collected or delivered (both
final); parcels on the day they were received, handed over or returned (a national year of parcels
left at relay points is millions too). A month whose days are all rolled up is rolled up again,
from the daily rows, so that a year is read from twelve rows per village rather than 365."""

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.orders.models.base import Base


class RolledDay(Base):
    """A day whose figures are in daily_villages, daily_sales, daily_partner_sales and
    daily_parcel_senders."""

    __tablename__ = "rolled_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class DailyVillage(Base):
    """Per village and day: the orders placed, the sales of the orders closed, the parcels received
    and handed over (what the villages' table of a period sums: a year of a national network is
    365,000 small rows)."""

    __tablename__ = "daily_villages"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    sales_cents: Mapped[int] = mapped_column(BigInteger)
    parcels_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    parcels_handed_over: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    till_sales: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    solidarity_sales: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    solidarity_sales_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class DailyParcelSender(Base):
    """Per day and sender, every village together: parcels received, handed over and returned. A
    carrier is keyed by its name as typed, lower case and trimmed (`sender_key`; `sender_name` is
    one spelling of it); other senders by their kind alone (a neighbour's name is personal)."""

    __tablename__ = "daily_parcel_senders"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sender_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sender_name: Mapped[str] = mapped_column(String(200))
    parcels_received: Mapped[int] = mapped_column(Integer)
    parcels_handed_over: Mapped[int] = mapped_column(Integer)
    parcels_returned: Mapped[int] = mapped_column(Integer)


class DailySales(Base):
    """Sales (VAT included, refused lines left out) of the orders closed that day, per partner."""

    __tablename__ = "daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class DailyPartnerSales(Base):
    """Per partner and day, every village together: what the coordination page
    shows of the partners."""

    __tablename__ = "daily_partner_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)


class RolledMonth(Base):
    """A month (its first day) whose figures are in monthly_villages, monthly_partner_sales and
    monthly_sales: rolled up once each of its days (from the first order's or parcel's day on) is in
    rolled_days."""

    __tablename__ = "rolled_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class MonthlyVillage(Base):
    """daily_villages summed over a month (`month` is its first day)."""

    __tablename__ = "monthly_villages"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    sales_cents: Mapped[int] = mapped_column(BigInteger)
    parcels_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    parcels_handed_over: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    till_sales: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    solidarity_sales: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    solidarity_sales_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


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


class RunningSales(Base):
    """Sales by village and partner from the first month rolled up through `month` (its first day),
    and on how many days of them the pair sold (a pair whose goods were all free still has a line):
    the sales of any run of whole months are the difference of two months' rows, ~50,000 rows a
    month on a national network however many months the run holds. A month's rows are its daily
    rows added to the month before's, so months are rolled up in order."""

    __tablename__ = "running_sales"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    sales_cents: Mapped[int] = mapped_column(BigInteger)
    days_sold: Mapped[int] = mapped_column(Integer)
