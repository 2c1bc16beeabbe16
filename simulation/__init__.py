"""Simulated cities: the demo city and the city-year generator the benchmarks use."""
