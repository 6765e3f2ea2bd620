//! The mandates service alone: `workout-mandates [serve|migrate]`.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    workout_runtime::run_alone(
        8082,
        workout_mandates::MIGRATIONS,
        workout_mandates::service,
    )
    .await
}
