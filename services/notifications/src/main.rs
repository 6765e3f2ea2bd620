//! The notifications service alone: `workout-notifications [serve|migrate]`.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    workout_runtime::run_alone(
        8085,
        workout_notifications::MIGRATIONS,
        workout_notifications::service,
    )
    .await
}
