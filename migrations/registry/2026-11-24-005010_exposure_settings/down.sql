DROP TABLE exposure_setting_versions;
