"""Places: UK postcodes and where an address is (geocoding)."""
