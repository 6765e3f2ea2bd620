//! Exports of a snapshot, live (by `as_of`) or frozen (by id), as CSV and as an Excel workbook:
//! where bankers check the numbers.
//!
//! Rules:
//! - Need-to-know exactly as for the JSON: the export is made from the view the caller may see
//!   (every line for the coordinator and the borrower, a creditor's own line and the totals for a
//!   creditor, 403 for other participants), never from the whole snapshot filtered afterwards.
//! - CSV (RFC 4180, UTF-8, `text/csv; charset=utf-8`): one row per item, in long format. Every row
//!   starts with the snapshot's `as_of`, `base`, `rates_date` and `content_hash`, then `row` says
//!   what it is: `rate` (currency, rate), `facility` (creditor, class, reference, type, related
//!   party, currency, amount in its currency, rate, base amount), `creditor_class` (a creditor's
//!   amount in a class and `share_percent` of the class), `creditor` (its exposure and
//!   `share_percent` of the total), `class_total`, `total`. Amounts, rates and shares are the
//!   exact decimals of the JSON.
//! - Excel workbook (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`): sheets
//!   `Snapshot` (what it is: dates, base, content hash, view; for a frozen one its id, time,
//!   `kid` and signature), `Creditors`, `By class`, `Facilities`, `Totals` and `Rates`. Amounts,
//!   rates and shares are Excel numbers (IEEE doubles: 15 significant digits) so that they sum;
//!   the CSV and the JSON carry the exact decimals. The workbook's creation time is the record date
//!   (live) or the freezing time (frozen), so the same snapshot gives the same file.
//! - Text that a spreadsheet could read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//!   carriage return) is written with a leading `'` in both formats: names and references come
//!   from banks and must never run in another bank's spreadsheet.
//! - Both are sent as attachments (`Content-Disposition: attachment; filename="…"`): live
//!   `exposures-<as_of>.csv|xlsx`, frozen `snapshot-<as_of>-<id>.csv|xlsx`.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use uuid::Uuid;
use workout_domain::exposure::{
    ClassAmount, CreditorExposure, CreditorSnapshot, OtherClaimExposure, RateUsed, Snapshot,
};
use workout_domain::{Money, PositionView, WorkoutId};
use workout_http::{ApiError, Caller, Query};

use super::frozen::{FrozenPath, frozen_row};
use super::snapshots::{RecordDate, refuse_future, snapshot_of};
use crate::RegistryState;
use crate::workouts::membership::membership;

/// The media type of a CSV export.
pub const CSV: &str = "text/csv; charset=utf-8";
/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An Excel workbook (binary).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ExcelWorkbook(pub Vec<u8>);

/// The view a caller may see.
enum View {
    /// Every line.
    Whole(Snapshot),
    /// A creditor's own line and the totals.
    Own(CreditorSnapshot),
}

impl View {
    fn of(snapshot: Snapshot, view: PositionView) -> Self {
        match view {
            PositionView::Own(creditor) => Self::Own(snapshot.for_creditor(creditor)),
            PositionView::All | PositionView::None => Self::Whole(snapshot),
        }
    }
}

/// A frozen snapshot's identity, shown in its workbook.
struct Frozen {
    id: Uuid,
    frozen_at: DateTime<Utc>,
    kid: String,
    signature: String,
}

/// What an export shows, borrowed from the view.
struct Sheet<'a> {
    workout: WorkoutId,
    as_of: NaiveDate,
    base: String,
    rates_date: NaiveDate,
    content_hash: &'a str,
    view: &'static str,
    rates: &'a [RateUsed],
    creditors: &'a [CreditorExposure],
    total: Money,
    total_by_class: &'a [ClassAmount],
    other_claims: &'a [OtherClaimExposure],
    total_debt: Money,
    frozen: Option<Frozen>,
}

impl View {
    fn sheet(&self, frozen: Option<Frozen>) -> Sheet<'_> {
        match self {
            Self::Whole(s) => Sheet {
                workout: s.workout(),
                as_of: s.as_of(),
                base: s.base().to_string(),
                rates_date: s.rates_date(),
                content_hash: s.content_hash(),
                view: "all_lines",
                rates: s.rates(),
                creditors: s.creditors(),
                total: s.total(),
                total_by_class: s.total_by_class(),
                other_claims: s.other_claims(),
                total_debt: s.total_debt(),
                frozen,
            },
            Self::Own(s) => Sheet {
                workout: s.workout(),
                as_of: s.as_of(),
                base: s.base().to_string(),
                rates_date: s.rates_date(),
                content_hash: s.content_hash(),
                view: "own_line_and_totals",
                rates: s.rates(),
                creditors: s.lines(),
                total: s.total(),
                total_by_class: s.total_by_class(),
                other_claims: s.other_claims(),
                total_debt: s.total_debt(),
                frozen,
            },
        }
    }
}

/// `text` made safe for a spreadsheet: a leading `'` if it could start a formula.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

const CSV_HEADER: [&str; 16] = [
    "as_of",
    "base",
    "rates_date",
    "content_hash",
    "row",
    "creditor_id",
    "creditor_name",
    "class",
    "reference",
    "facility_type",
    "related_party",
    "currency",
    "amount",
    "rate",
    "base_amount",
    "share_percent",
];

/// One CSV row after the snapshot's columns: `row` and the 11 columns that follow it.
type Cells = [String; 12];

fn cells(row: &str) -> Cells {
    let mut cells: Cells = Default::default();
    cells[0] = row.to_owned();
    cells
}

fn csv_bytes(sheet: &Sheet<'_>) -> Result<Vec<u8>, ApiError> {
    let mut rows: Vec<Cells> = Vec::new();
    for rate in sheet.rates {
        let mut row = cells("rate");
        row[7] = rate.currency.to_string();
        row[9] = rate.rate.normalize().to_string();
        rows.push(row);
    }
    for line in sheet.creditors {
        let creditor = |kind: &str| {
            let mut row = cells(kind);
            row[1] = line.creditor.to_string();
            row[2] = inert(&line.name);
            row
        };
        for facility in &line.facilities {
            let mut row = creditor("facility");
            row[3] = inert(facility.class.as_str());
            row[4] = inert(&facility.reference);
            row[5] = facility.facility_type.to_string();
            row[6] = facility.related_party.to_string();
            row[7] = facility.exposure.currency.to_string();
            row[8] = facility.exposure.amount.to_string();
            row[9] = facility.rate.normalize().to_string();
            // What counts: a contingent facility at the workout's weight.
            row[10] = facility.counted.amount.to_string();
            rows.push(row);
        }
        for class in &line.by_class {
            let mut row = creditor("creditor_class");
            row[3] = inert(class.class.as_str());
            row[10] = class.amount.amount.to_string();
            row[11] = class.share_of_class.value().to_string();
            rows.push(row);
        }
        let mut row = creditor("creditor");
        row[10] = line.exposure.amount.to_string();
        row[11] = line.share_of_total.value().to_string();
        rows.push(row);
    }
    for class in sheet.total_by_class {
        let mut row = cells("class_total");
        row[3] = inert(class.class.as_str());
        row[10] = class.amount.amount.to_string();
        rows.push(row);
    }
    let mut row = cells("total");
    row[10] = sheet.total.amount.to_string();
    rows.push(row);
    for claim in sheet.other_claims {
        let mut row = cells("other_claim");
        row[2] = inert(&claim.claimant);
        row[3] = claim.kind.to_string();
        row[6] = claim.preferential.to_string();
        row[7] = claim.amount.currency.to_string();
        row[8] = claim.amount.amount.to_string();
        row[9] = claim.rate.normalize().to_string();
        row[10] = claim.base_amount.amount.to_string();
        rows.push(row);
    }
    let mut row = cells("total_debt");
    row[10] = sheet.total_debt.amount.to_string();
    rows.push(row);

    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::Internal(anyhow::anyhow!("writing the CSV: {e}"));
    writer.write_record(CSV_HEADER).map_err(fail)?;
    let head = [
        sheet.as_of.to_string(),
        sheet.base.clone(),
        sheet.rates_date.to_string(),
        sheet.content_hash.to_owned(),
    ];
    for row in rows {
        writer
            .write_record(head.iter().chain(row.iter()))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the CSV: {e}")))
}

fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// Writes a header row in bold and sets the columns' widths.
fn header(ws: &mut Worksheet, titles: &[(&str, f64)]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, (title, width)) in (0_u16..).zip(titles) {
        ws.write_string_with_format(0, col, *title, &bold)?;
        ws.set_column_width(col, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn xlsx_bytes(sheet: &Sheet<'_>) -> Result<Vec<u8>, XlsxError> {
    let amount = Format::new().set_num_format("#,##0.00");
    let rate = Format::new().set_num_format("0.0000######");
    let share = Format::new().set_num_format("0.0000000000");
    let mut book = Workbook::new();
    let created = sheet.frozen.as_ref().map_or_else(
        || {
            sheet
                .as_of
                .and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp())
        },
        |f| f.frozen_at.timestamp(),
    );
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("Record-date snapshot as of {}", sheet.as_of))
            .set_creation_datetime(&ExcelDateTime::from_timestamp(created)?),
    );

    let ws = book.add_worksheet().set_name("Snapshot")?;
    let mut about: Vec<(&str, String)> = vec![
        ("workout", sheet.workout.to_string()),
        ("as_of", sheet.as_of.to_string()),
        ("base", sheet.base.clone()),
        ("rates_date", sheet.rates_date.to_string()),
        ("content_hash", sheet.content_hash.to_owned()),
        ("view", sheet.view.to_owned()),
    ];
    if let Some(frozen) = &sheet.frozen {
        about.extend([
            ("snapshot_id", frozen.id.to_string()),
            (
                "frozen_at",
                frozen
                    .frozen_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            ),
            ("kid", frozen.kid.clone()),
            ("signature", frozen.signature.clone()),
        ]);
    }
    header(ws, &[("item", 16.0), ("value", 70.0)])?;
    for (row, (key, value)) in (1_u32..).zip(&about) {
        ws.write_string(row, 0, *key)?;
        ws.write_string(row, 1, value)?;
    }

    let ws = book.add_worksheet().set_name("Creditors")?;
    header(
        ws,
        &[
            ("creditor_id", 38.0),
            ("creditor_name", 32.0),
            ("exposure", 18.0),
            ("share_of_total_percent", 22.0),
            ("related_party", 14.0),
        ],
    )?;
    for (row, line) in (1_u32..).zip(sheet.creditors) {
        ws.write_string(row, 0, line.creditor.to_string())?;
        ws.write_string(row, 1, inert(&line.name))?;
        ws.write_number_with_format(row, 2, number(line.exposure.amount), &amount)?;
        ws.write_number_with_format(row, 3, number(line.share_of_total.value()), &share)?;
        ws.write_boolean(row, 4, line.related_party)?;
    }

    let ws = book.add_worksheet().set_name("By class")?;
    header(
        ws,
        &[
            ("creditor_id", 38.0),
            ("creditor_name", 32.0),
            ("class", 16.0),
            ("amount", 18.0),
            ("share_of_class_percent", 22.0),
        ],
    )?;
    let mut row = 1_u32;
    for line in sheet.creditors {
        for class in &line.by_class {
            ws.write_string(row, 0, line.creditor.to_string())?;
            ws.write_string(row, 1, inert(&line.name))?;
            ws.write_string(row, 2, inert(class.class.as_str()))?;
            ws.write_number_with_format(row, 3, number(class.amount.amount), &amount)?;
            ws.write_number_with_format(row, 4, number(class.share_of_class.value()), &share)?;
            row += 1;
        }
    }

    let ws = book.add_worksheet().set_name("Facilities")?;
    header(
        ws,
        &[
            ("creditor_id", 38.0),
            ("creditor_name", 32.0),
            ("reference", 20.0),
            ("facility_type", 20.0),
            ("class", 16.0),
            ("related_party", 14.0),
            ("currency", 10.0),
            ("exposure", 18.0),
            ("rate", 12.0),
            ("base_exposure", 18.0),
        ],
    )?;
    let mut row = 1_u32;
    for line in sheet.creditors {
        for facility in &line.facilities {
            ws.write_string(row, 0, line.creditor.to_string())?;
            ws.write_string(row, 1, inert(&line.name))?;
            ws.write_string(row, 2, inert(&facility.reference))?;
            ws.write_string(row, 3, facility.facility_type.to_string())?;
            ws.write_string(row, 4, inert(facility.class.as_str()))?;
            ws.write_boolean(row, 5, facility.related_party)?;
            ws.write_string(row, 6, facility.exposure.currency.to_string())?;
            ws.write_number_with_format(row, 7, number(facility.exposure.amount), &amount)?;
            ws.write_number_with_format(row, 8, number(facility.rate), &rate)?;
            ws.write_number_with_format(row, 9, number(facility.base_exposure.amount), &amount)?;
            row += 1;
        }
    }

    let ws = book.add_worksheet().set_name("Totals")?;
    header(ws, &[("class", 16.0), ("amount", 18.0)])?;
    let mut row = 1_u32;
    for class in sheet.total_by_class {
        ws.write_string(row, 0, inert(class.class.as_str()))?;
        ws.write_number_with_format(row, 1, number(class.amount.amount), &amount)?;
        row += 1;
    }
    ws.write_string(row, 0, "total")?;
    ws.write_number_with_format(row, 1, number(sheet.total.amount), &amount)?;

    let ws = book.add_worksheet().set_name("Rates")?;
    header(ws, &[("currency", 10.0), ("rate", 16.0)])?;
    for (row, used) in (1_u32..).zip(sheet.rates) {
        ws.write_string(row, 0, used.currency.to_string())?;
        ws.write_number_with_format(row, 1, number(used.rate), &rate)?;
    }
    book.save_to_buffer()
}

/// Which file.
#[derive(Clone, Copy)]
enum FileKind {
    Csv,
    Xlsx,
}

/// The export of `view` as an attachment named `stem` plus the extension.
fn attachment(
    view: &View,
    frozen: Option<Frozen>,
    format: FileKind,
    stem: &str,
) -> Result<HttpResponse, ApiError> {
    let sheet = view.sheet(frozen);
    let (bytes, media_type, extension) = match format {
        FileKind::Csv => (csv_bytes(&sheet)?, CSV, "csv"),
        FileKind::Xlsx => (
            xlsx_bytes(&sheet)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the workbook: {e}")))?,
            XLSX,
            "xlsx",
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{stem}.{extension}\""),
        ))
        .body(bytes))
}

async fn live(
    state: &RegistryState,
    caller: &Caller,
    workout: WorkoutId,
    as_of: NaiveDate,
    format: FileKind,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, caller).await?;
    let view = member.positions()?;
    refuse_future(&member.workout, as_of)?;
    let snapshot = snapshot_of(&mut conn, &member.workout, as_of).await?;
    attachment(
        &View::of(snapshot, view),
        None,
        format,
        &format!("exposures-{as_of}"),
    )
}

async fn frozen(
    state: &RegistryState,
    caller: &Caller,
    path: FrozenPath,
    format: FileKind,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, path.workout_id, caller).await?;
    let view = member.positions()?;
    let row = frozen_row(&mut conn, path.workout_id, path.snapshot_id).await?;
    let identity = Frozen {
        id: row.id,
        frozen_at: row.frozen_at,
        kid: row.kid.clone(),
        signature: row.signature.clone(),
    };
    attachment(
        &View::of(row.parsed()?, view),
        Some(identity),
        format,
        &format!("snapshot-{}-{}", row.as_of, row.id),
    )
}

/// `GET /registry/v1/workouts/{workout_id}/exposures/export.csv?as_of=DATE`: the live snapshot as
/// CSV (same need-to-know as the JSON).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(RecordDate),
    responses(
        (status = 200, description = "The snapshot as CSV (RFC 4180, UTF-8), one row per item", body = String, content_type = "text/csv; charset=utf-8",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"exposures-<as_of>.csv\""))),
        (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/exposures/export.csv")]
pub async fn live_csv(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    live(
        &state,
        &caller,
        path.into_inner(),
        query.as_of.get(),
        FileKind::Csv,
    )
    .await
}

/// `GET /registry/v1/workouts/{workout_id}/exposures/export.xlsx?as_of=DATE`: the live snapshot as
/// an Excel workbook (same need-to-know as the JSON).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(RecordDate),
    responses(
        (status = 200, description = "The snapshot as an Excel workbook", body = ExcelWorkbook, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"exposures-<as_of>.xlsx\""))),
        (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/exposures/export.xlsx")]
pub async fn live_xlsx(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    live(
        &state,
        &caller,
        path.into_inner(),
        query.as_of.get(),
        FileKind::Xlsx,
    )
    .await
}

/// `GET /registry/v1/workouts/{workout_id}/snapshots/{snapshot_id}/export.csv`: a frozen snapshot
/// as CSV (same need-to-know as the JSON).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    responses(
        (status = 200, description = "The frozen snapshot as CSV (RFC 4180, UTF-8), one row per item", body = String, content_type = "text/csv; charset=utf-8",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"snapshot-<as_of>-<id>.csv\""))),
        (status = 403, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/snapshots/{snapshot_id}/export.csv")]
pub async fn frozen_csv(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<FrozenPath>,
) -> Result<HttpResponse, ApiError> {
    frozen(&state, &caller, path.into_inner(), FileKind::Csv).await
}

/// `GET /registry/v1/workouts/{workout_id}/snapshots/{snapshot_id}/export.xlsx`: a frozen snapshot
/// as an Excel workbook, with its id, freezing time and signature (same need-to-know as the JSON).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    responses(
        (status = 200, description = "The frozen snapshot as an Excel workbook", body = ExcelWorkbook, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"snapshot-<as_of>-<id>.xlsx\""))),
        (status = 403, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/snapshots/{snapshot_id}/export.xlsx")]
pub async fn frozen_xlsx(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<FrozenPath>,
) -> Result<HttpResponse, ApiError> {
    frozen(&state, &caller, path.into_inner(), FileKind::Xlsx).await
}
