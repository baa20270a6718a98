"""Prometheus metrics derived from every committed span: the catalog, the aggregator, the exposition.

``catalog`` declares the families (names and labels of the field guides);
``spans`` folds committed batches into them (an observer after commit);
``series`` keeps the values with a cap on label combinations and encodes them
through ``prometheus_client``; ``exposition`` answers a scrape in the format the
scraper asks for (Prometheus text, or OpenMetrics with exemplars).
"""
