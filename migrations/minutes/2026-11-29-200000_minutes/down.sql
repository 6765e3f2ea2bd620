DROP TABLE action_items;
DROP TABLE minutes_responses;
DROP TABLE minutes_comments;
DROP TABLE minutes_versions;
DROP TABLE minutes;
