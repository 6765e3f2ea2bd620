DROP TABLE attendance;
DROP TABLE meeting_invitees;
DROP TABLE agenda_items;
DROP TABLE meeting_changes;
DROP TABLE meetings;
