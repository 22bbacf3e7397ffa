"""Demo and reference data: counties, centres, services, slots, synthetic applications."""
