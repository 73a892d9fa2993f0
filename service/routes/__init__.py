"""The API's routers, one per resource; `service.app` includes them in `ROUTERS` order.

Order matters for target sub-resources only in that every route under ``/v1/targets/{name}``
uses the two-segment ``target`` convertor, which makes them unambiguous.
"""

from service.routes import decisions, forecasts, health, models, targets

ROUTERS = (health.router, targets.router, forecasts.router, decisions.router, models.router)

__all__ = ["ROUTERS"]
