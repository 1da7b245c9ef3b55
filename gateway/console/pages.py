"""Every console page, as one mixin for GatewayService (gateway/service.py)."""

from gateway.console.animations import AnimationPages
from gateway.console.backoffice import BackofficePages
from gateway.console.backoffice_partners import BackofficePartnerPages
from gateway.console.catalogue import CataloguePages
from gateway.console.commune import CommunePages
from gateway.console.commune_links import CommuneLinkPages
from gateway.console.concierge import ConciergePages
from gateway.console.coordination import CoordinationPages
from gateway.console.counter import CounterPages
from gateway.console.delivery_log import DeliveryLogPages
from gateway.console.driver_pages import DriverPages
from gateway.console.funding_pages import FundingPages
from gateway.console.grappe_pages import GrappePages
from gateway.console.logistics_pages import LogisticsPages
from gateway.console.money_pages import MoneyPages
from gateway.console.offline import OfflinePages
from gateway.console.parcels import ParcelPages
from gateway.console.people import PeoplePages
from gateway.console.personal import PersonalPages
from gateway.console.picker import PickerPages
from gateway.console.places import PlacesPages
from gateway.console.public_pages import PublicPages
from gateway.console.rounds import RoundPages
from gateway.console.session_pages import SessionPages
from gateway.console.signal_pages import SignalPages
from gateway.console.skills_pages import SkillPages
from gateway.console.till_pages import TillPages


class ConsolePages(
    SessionPages,
    ConciergePages,
    AnimationPages,
    PeoplePages,
    CounterPages,
    TillPages,
    DeliveryLogPages,
    CataloguePages,
    PlacesPages,
    ParcelPages,
    OfflinePages,
    RoundPages,
    DriverPages,
    PickerPages,
    CoordinationPages,
    LogisticsPages,
    GrappePages,
    FundingPages,
    MoneyPages,
    BackofficePages,
    BackofficePartnerPages,
    SkillPages,
    SignalPages,
    CommuneLinkPages,
    PublicPages,
    PersonalPages,
    CommunePages,
):
    """Sign-in, the concierge console of a village (its animations, people, counter, parcels,
    the day's round, the inhabitant picker, delivery log, catalogue, hours and places), the
    coordinator's view, logistics and money, back-office (villages, accounts, partners, parked
    deliveries, the skills list), the communes' links, the villages' public pages, the
    inhabitants' and volunteers' own pages (/moi), and the communes' read-only space."""
