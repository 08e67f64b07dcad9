-- A scan's correlation findings (CORRELATION results) are counted apart from the results its modules found: the scans
-- API reads the count from the read copy, one index range per scan, however many results the scan has.
CREATE INDEX results_read_correlations ON results_read (owner) WHERE data_type = 'CORRELATION';
