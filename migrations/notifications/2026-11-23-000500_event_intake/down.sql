DROP TABLE received_events;
