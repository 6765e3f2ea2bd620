DROP TABLE vote_history;
DROP TABLE votes;
DROP TABLE ballot_voters;
DROP TABLE ballot_closures;
DROP TABLE ballots;
