-- Extensions of a standstill, each decided by a ballot of the creditors (one ballot extends at
-- most once): the end date before and after.
CREATE TABLE standstill_extensions (
    ballot_id     uuid        PRIMARY KEY,
    standstill_id uuid        NOT NULL REFERENCES standstills (id),
    from_ends_on  date        NOT NULL,
    to_ends_on    date        NOT NULL CHECK (to_ends_on > from_ends_on),
    extended_by   uuid        NOT NULL,
    extended_at   timestamptz NOT NULL
);
CREATE INDEX standstill_extensions_by_standstill ON standstill_extensions (standstill_id, extended_at);
