//! The voting service alone: `workout-voting [serve|migrate]`.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    workout_runtime::run_alone(8083, workout_voting::MIGRATIONS, workout_voting::service).await
}
