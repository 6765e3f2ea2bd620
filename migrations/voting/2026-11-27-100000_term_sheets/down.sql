DROP TABLE term_sheet_comments;
DROP TABLE term_sheet_versions;
DROP TABLE term_sheets;
