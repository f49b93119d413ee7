"""The landscape of a corpus, from its shared kNN graph: regions with names, a card per
region, how far its map can be trusted, duplicates, outliers and leakage between two sets.

Importing this package is light (numpy, pandas, scipy): igraph loads when regions are found,
scikit-learn when they are named.
"""

from .card import RegionCard, region_card
from .named_regions import RESOLUTIONS, Regions, regions
from .near_duplicates import DUPLICATE_THRESHOLD, Duplicates, duplicates, leakage
from .outlier_scores import local_outlier_factor, outliers
from .trust import MapTrust, map_trust

__all__ = ["DUPLICATE_THRESHOLD", "Duplicates", "MapTrust",
           "RESOLUTIONS", "RegionCard", "Regions", "duplicates", "leakage",
           "local_outlier_factor", "map_trust", "outliers", "region_card", "regions"]
