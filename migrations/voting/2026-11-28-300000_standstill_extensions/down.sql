DROP TABLE standstill_extensions;
