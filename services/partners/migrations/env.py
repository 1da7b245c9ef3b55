from backbone.migrations import run
from services.partners.models import Base

run(Base.metadata)
