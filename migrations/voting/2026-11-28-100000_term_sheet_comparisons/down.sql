DROP TABLE term_sheet_comparisons;
