from backbone.migrations import run
from services.members.models import Base

run(Base.metadata)
