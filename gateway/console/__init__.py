"""The web consoles, in French, served by the gateway with every asset (no CDN):

- the concierge console of one village (`/console/villages/<village_id>/...`): today's work at the
  counter, inhabitants and their consents, volunteers, animations, suggestions;
- the coordinator's view of every village (`/console/coordination`): figures per village, live
  (server-sent events), CSV exports and a PDF impact report.

`framework.py` is the one place that decides who may open a page (session cookie, role, village,
CSRF on forms), as `gateway/routing.py` does for the API.
"""
