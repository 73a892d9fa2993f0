"""The API's routers, one per resource; `service.app` includes them in `ROUTERS` order.

Target routes take the name as two path segments (``/v1/targets/{namespace}/{name}/...``), so the
order of routers does not matter.
"""

from forescale.service.routes import decisions, forecasts, health, models, targets

ROUTERS = (health.router, targets.router, forecasts.router, decisions.router, models.router)

__all__ = ["ROUTERS"]
