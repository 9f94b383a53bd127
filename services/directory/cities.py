"""Real cities where French nationals live, with their coordinates.

Weights are each city's share of the generated nationals (they sum to 100): London holds
a tenth, which gives the benchmark its 100,000-person crisis in a 1,000,000 directory.
"""

from typing import NamedTuple


class City(NamedTuple):
    name: str
    country: str
    lat: float
    lon: float
    weight: float
    capital: bool


CITIES: tuple[City, ...] = (
    City("London", "GB", 51.5074, -0.1278, 10.0, True),
    City("Geneva", "CH", 46.2044, 6.1432, 5.0, False),
    City("Bern", "CH", 46.9480, 7.4474, 1.0, True),
    City("Brussels", "BE", 50.8503, 4.3517, 6.0, True),
    City("Madrid", "ES", 40.4168, -3.7038, 4.0, True),
    City("Barcelona", "ES", 41.3874, 2.1686, 4.0, False),
    City("Berlin", "DE", 52.5200, 13.4050, 3.0, True),
    City("Munich", "DE", 48.1351, 11.5820, 2.0, False),
    City("Rome", "IT", 41.9028, 12.4964, 3.0, True),
    City("Casablanca", "MA", 33.5731, -7.5898, 4.0, False),
    City("Rabat", "MA", 34.0209, -6.8416, 2.0, True),
    City("Marrakech", "MA", 31.6295, -7.9811, 3.0, False),
    City("Tangier", "MA", 35.7595, -5.8340, 2.0, False),
    City("Agadir", "MA", 30.4278, -9.5981, 1.0, False),
    City("Tunis", "TN", 36.8065, 10.1815, 3.0, True),
    City("Algiers", "DZ", 36.7538, 3.0588, 3.0, True),
    City("Dakar", "SN", 14.7167, -17.4677, 2.0, True),
    City("Abidjan", "CI", 5.3600, -4.0083, 2.0, True),
    City("Bamako", "ML", 12.6392, -8.0029, 1.0, True),
    City("Douala", "CM", 4.0511, 9.7679, 1.0, False),
    City("Yaounde", "CM", 3.8480, 11.5021, 0.5, True),
    City("Antananarivo", "MG", -18.8792, 47.5079, 1.0, True),
    City("Cairo", "EG", 30.0444, 31.2357, 1.0, True),
    City("Beirut", "LB", 33.8938, 35.5018, 2.0, True),
    City("Tel Aviv", "IL", 32.0853, 34.7818, 3.0, True),
    City("Dubai", "AE", 25.2048, 55.2708, 2.5, False),
    City("Abu Dhabi", "AE", 24.4539, 54.3773, 0.5, True),
    City("Istanbul", "TR", 41.0082, 28.9784, 1.0, False),
    City("Ankara", "TR", 39.9334, 32.8597, 0.5, True),
    City("New York", "US", 40.7128, -74.0060, 4.0, False),
    City("Los Angeles", "US", 34.0522, -118.2437, 2.0, False),
    City("Washington", "US", 38.9072, -77.0369, 1.0, True),
    City("Montreal", "CA", 45.5019, -73.5674, 4.0, False),
    City("Ottawa", "CA", 45.4215, -75.6972, 0.5, True),
    City("Mexico City", "MX", 19.4326, -99.1332, 1.0, True),
    City("Sao Paulo", "BR", -23.5505, -46.6333, 1.5, False),
    City("Brasilia", "BR", -15.7939, -47.8828, 0.5, True),
    City("Port-au-Prince", "HT", 18.5944, -72.3074, 1.0, True),
    City("Shanghai", "CN", 31.2304, 121.4737, 1.5, False),
    City("Beijing", "CN", 39.9042, 116.4074, 1.0, True),
    City("Tokyo", "JP", 35.6762, 139.6503, 1.5, True),
    City("Singapore", "SG", 1.3521, 103.8198, 2.0, True),
    City("Bangkok", "TH", 13.7563, 100.5018, 1.5, True),
    City("New Delhi", "IN", 28.6139, 77.2090, 1.0, True),
    City("Sydney", "AU", -33.8688, 151.2093, 1.5, False),
    City("Canberra", "AU", -35.2809, 149.1300, 0.5, True),
)

FRENCH_CITIES: tuple[City, ...] = (
    City("Paris", "FR", 48.8566, 2.3522, 5.0, True),
    City("Lyon", "FR", 45.7640, 4.8357, 2.0, False),
    City("Marseille", "FR", 43.2965, 5.3698, 2.0, False),
    City("Toulouse", "FR", 43.6047, 1.4442, 1.0, False),
)
