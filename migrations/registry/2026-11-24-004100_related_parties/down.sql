DROP TABLE related_party_decisions;
