DROP TABLE standstill_breaches;
DROP TABLE standstill_accessions;
DROP TABLE standstills;
