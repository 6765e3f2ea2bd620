DROP TABLE information_requests;
DROP TABLE fx_rates;
DROP TABLE facility_versions;
DROP TABLE facilities;
DROP TABLE notice_contacts;
DROP TABLE participants;
DROP TABLE workouts;
