DROP TABLE vote_history;
DROP TABLE votes;
DROP TABLE ballot_voters;
DROP TABLE ballots;
