//! The committed diesel `table!` definitions match what the migrations create: same tables, same
//! columns in the same order (a drift would otherwise surface only as a runtime error).

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::query_dsl::QueryDsl;
use diesel_async::RunQueryDsl;
use workout_tests::fresh_database_url;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

fn column_names(sql: &str) -> Vec<String> {
    let list = sql
        .trim_start_matches("SELECT ")
        .split(" FROM ")
        .next()
        .unwrap_or_default()
        .to_owned();
    list.split(", ")
        .map(|c| {
            c.rsplit('.')
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned()
        })
        .collect()
}

macro_rules! declared {
    ($($table:ident),* $(,)?) => {
        BTreeMap::from([$((
            stringify!($table).to_owned(),
            column_names(&diesel::debug_query::<diesel::pg::Pg, _>(&$table::table.select($table::all_columns)).to_string()),
        )),*])
    };
}

async fn actual(url: &str, schema: &str) -> BTreeMap<String, Vec<String>> {
    let pool = workout_store::pool::connect(url, schema, 1).unwrap();
    let mut conn = pool.get().await.unwrap();
    let rows: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = $1 AND table_name <> '__diesel_schema_migrations'
         ORDER BY table_name, ordinal_position",
    )
    .bind::<diesel::sql_types::Text, _>(schema)
    .load(&mut conn)
    .await
    .unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        tables
            .entry(row.table_name)
            .or_default()
            .push(row.column_name);
    }
    tables
}

fn store_tables() -> BTreeMap<String, Vec<String>> {
    use workout_store::schema::*;
    declared!(
        outbox,
        outbox_deliveries,
        inbox,
        idempotency_keys,
        audit_log,
        audit_heads,
        scheduled_jobs
    )
}

#[tokio::test]
async fn every_schema_rs_matches_its_migrations() {
    let url = fresh_database_url();
    workoutd::migrate_all(&url).await.unwrap();

    let mut registry = store_tables();
    {
        use workout_registry::schema::*;
        registry.extend(declared!(
            institutions,
            users,
            sessions,
            refresh_tokens,
            signing_keys,
            service_clients,
            workouts,
            participants,
            notice_contacts,
            facilities,
            facility_versions,
            fx_rates,
            information_requests,
            sign_in_failures,
        ));
    }
    let mut notifications = store_tables();
    {
        use workout_notifications::schema::*;
        notifications.extend(declared!(received_events));
    }

    assert_eq!(actual(&url, "registry").await, registry);
    assert_eq!(actual(&url, "notifications").await, notifications);
    for schema in ["mandates", "voting", "minutes"] {
        assert_eq!(actual(&url, schema).await, store_tables(), "{schema}");
    }
    workout_store::pool::drop_database(&url).await.unwrap();
}
