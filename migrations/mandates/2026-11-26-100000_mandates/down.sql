DROP TABLE agents;
DROP TABLE duties;
DROP TABLE withdrawals;
DROP TABLE withdrawal_notices;
DROP TABLE renewal_responses;
DROP TABLE renewals;
DROP TABLE consents;
DROP TABLE mandates;
