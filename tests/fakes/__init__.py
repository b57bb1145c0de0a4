"""Fakes of platform APIs for scenario tests: real servers on loopback that record what they were sent."""
