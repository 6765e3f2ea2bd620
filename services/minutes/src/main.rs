//! The minutes service alone: `workout-minutes [serve|migrate]`.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    workout_runtime::run_alone(8084, workout_minutes::MIGRATIONS, workout_minutes::service).await
}
