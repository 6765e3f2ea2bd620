DROP TABLE other_claims;
