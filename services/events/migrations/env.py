from backbone.migrations import run
from services.events.models import Base

run(Base.metadata)
