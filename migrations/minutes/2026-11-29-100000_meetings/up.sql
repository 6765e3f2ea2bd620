-- Creditor meetings of a workout: when and where, the agenda, who is invited, who attended.
-- Rescheduling and cancellation keep history; the iCalendar invitation keeps one UID for the
-- meeting's life and raises its SEQUENCE at every change a calendar must see.
CREATE TABLE meetings (
    id          uuid        PRIMARY KEY,
    workout_id  uuid        NOT NULL,
    title       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- The IANA time zone the meeting is held in (default Asia/Riyadh).
    time_zone   text        NOT NULL,
    location    text,
    video_link  text,
    CHECK (location IS NOT NULL OR video_link IS NOT NULL),
    state       text        NOT NULL CHECK (state IN ('scheduled', 'held', 'cancelled')),
    -- The iCalendar SEQUENCE: 0 when scheduled, raised by every change sent to calendars.
    sequence    integer     NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    -- The coordinator's user who convened it (the invitation's ORGANIZER).
    organizer   uuid        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX meetings_by_workout ON meetings (workout_id, id);

-- Every change of a meeting, in order: what it was before and after.
CREATE TABLE meeting_changes (
    id          uuid        PRIMARY KEY,
    meeting_id  uuid        NOT NULL REFERENCES meetings (id),
    kind        text        NOT NULL CHECK (kind IN ('scheduled', 'rescheduled', 'updated', 'cancelled', 'held')),
    before      jsonb,
    after       jsonb       NOT NULL,
    reason      text,
    changed_by  uuid        NOT NULL,
    changed_at  timestamptz NOT NULL
);
CREATE INDEX meeting_changes_by_meeting ON meeting_changes (meeting_id, changed_at);

-- The ordered agenda: each item with an owner and attachments by reference.
CREATE TABLE agenda_items (
    meeting_id  uuid    NOT NULL REFERENCES meetings (id),
    position    integer NOT NULL CHECK (position >= 1),
    title       text    NOT NULL,
    -- The institution that presents the item.
    owner       uuid    NOT NULL,
    -- Attachments by reference: [{"name", "reference", "sha256"?}].
    attachments jsonb   NOT NULL DEFAULT '[]',
    PRIMARY KEY (meeting_id, position)
);

-- The institutions invited (participants of the workout; the borrower only when invited).
CREATE TABLE meeting_invitees (
    meeting_id     uuid NOT NULL REFERENCES meetings (id),
    institution_id uuid NOT NULL,
    PRIMARY KEY (meeting_id, institution_id)
);

-- Who attended, for which institution; a proxy attends for another institution.
CREATE TABLE attendance (
    meeting_id     uuid        NOT NULL REFERENCES meetings (id),
    institution_id uuid        NOT NULL,
    person_name    text        NOT NULL,
    capacity       text        NOT NULL,
    -- The institution this person holds a proxy for, if any.
    proxy_for      uuid,
    recorded_by    uuid        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (meeting_id, institution_id, person_name)
);
