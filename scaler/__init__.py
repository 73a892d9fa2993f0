"""Forescale's control side: metric sources, planning, actuators, the controller loop, CLI."""
