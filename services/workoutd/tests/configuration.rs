//! The configuration is read once at start and a bad value stops the process with an error that
//! names every variable that is wrong, before anything else happens.

use std::process::Command;

#[test]
fn a_bad_configuration_is_refused_at_start_naming_every_wrong_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_workoutd"))
        .arg("migrate")
        .env("DB_POOL_SIZE", "lots")
        .env("ACCESS_TOKEN_TTL_SECS", "0")
        .env("LOG_FORMAT", "xml")
        .env("SERVICE_CLIENT_ID", "voting")
        .env_remove("SERVICE_CLIENT_SECRET")
        .env("BIND_ADDR", "127.0.0.1:8080")
        .env("INTERNAL_BIND_ADDR", "127.0.0.1:8080")
        // Never reached: the configuration is refused first.
        .env("DATABASE_URL", "postgres://127.0.0.1:1/never")
        .output()
        .expect("workoutd runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in [
        "DB_POOL_SIZE=\"lots\"",
        "ACCESS_TOKEN_TTL_SECS=0",
        "LOG_FORMAT=\"xml\"",
        "SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET",
        "INTERNAL_BIND_ADDR=\"127.0.0.1:8080\"",
    ] {
        assert!(stderr.contains(variable), "{variable} in: {stderr}");
    }
}

#[test]
fn every_binary_answers_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_workoutd"))
        .arg("--help")
        .output()
        .expect("workoutd runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "create-admin", "audit-verify"] {
        assert!(stdout.contains(command), "{command} in: {stdout}");
    }
}
