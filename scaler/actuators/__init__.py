"""The actuator protocol (`base.Actuator`) and the actuators that need no outside system.

The real actuators live with their system's adapter, beside its client: the HPA actuator in
`forescale.scaler.kube.hpa` (``HpaActuator``), the Auto Scaling group actuator in
`forescale.scaler.aws.asg` (``AsgActuator``). Here are what they implement and what stands in
for them: `memory.MemoryActuator`, the in-memory twin of both (tests, the demo), and
`detached.DetachedActuator`, which plans for objects Forescale cannot reach (dry runs without a
cluster). The package holds no client library, so the controller depends on it alone.
"""
