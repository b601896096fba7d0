"""Places: UK postcodes, where an address is (geocoding), and the base map drawn when there are
no map tiles (base_map: the county outline and towns in seed_data/)."""
