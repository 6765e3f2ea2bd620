//! Named business calendars (weekend days and holidays) and date arithmetic on them.
//!
//! Rules:
//! - A calendar is data: a name, its weekend days and a holiday table, parsed from a small text
//!   format (below). The built-in calendars live in `shared/domain/data/calendars/` and are
//!   compiled in; operators may load their own with [`BusinessCalendar::parse`] and keep several
//!   in a [`CalendarRegistry`]. An unknown calendar name is an error value, never a panic.
//! - A business day is a day that is neither a weekend day nor a holiday.
//! - [`BusinessCalendar::add_business_days`] with `n ≥ 1` returns the `n`-th business day
//!   strictly after the date (the day itself never counts, as with "within 5 business days").
//!   With `n = 0` it returns the date itself if it is a business day, otherwise the next business
//!   day. [`BusinessCalendar::subtract_business_days`] mirrors this backwards.
//! - [`BusinessCalendar::business_days_between`] counts business days in `(start, end]`: the
//!   start is excluded and the end included, so that
//!   `business_days_between(d, add_business_days(d, n)) == n` for a business day `d`. When
//!   `end < start` the result is the negated count over `(end, start]`, so that swapping the
//!   arguments negates the result.
//! - Calendar-day and month arithmetic ([`add_calendar_days`], [`add_months`]) ignore weekends
//!   and holidays. Adding months clamps to the end of the target month (31 Jan + 1 month is
//!   28 or 29 Feb).
//! - Arithmetic that would leave chrono's date range is an error
//!   ([`CalendarError::DateOutOfRange`]), never a panic or a wrap-around.
//! - A holiday table covers a limited number of years (declared by the `years:` header; a
//!   calendar without it, such as `SAT_SUN`, claims its table for every year). Business-day
//!   arithmetic that would read a day outside those years — the start, the result or any day
//!   between — is an error, [`CalendarError::HolidaysUnknown`], naming the calendar and the
//!   year, never an answer that silently ignores holidays not yet published. Whether a single
//!   day is a business day ([`BusinessCalendar::is_business_day`]) is answered from the table
//!   as it stands; callers who must know can ask [`BusinessCalendar::knows_holidays_for`].
//!
//! # Calendar file format
//!
//! UTF-8 text, one item per line; surrounding whitespace and blank lines are ignored.
//!
//! ```text
//! # Saudi banks (a comment: the line starts with '#')
//! name: SA
//! weekend: Fri Sat
//! years: 2025-2027
//! 2026-02-22 Founding Day
//! 2026-03-17..2026-03-23 Eid al-Fitr
//! ```
//!
//! - `name:` (required): 1–32 letters, digits, `_` or `-`; lookups are case-sensitive.
//! - `weekend:` (required): weekday names (`Mon` … `Sun` or full names, any case, separated by
//!   spaces or commas); may be empty, may not list all seven days.
//! - `years:` (optional): `YYYY` or `YYYY-YYYY`, the years for which the holiday list is
//!   complete.
//! - A holiday line: an ISO date `YYYY-MM-DD`, or an inclusive range
//!   `YYYY-MM-DD..YYYY-MM-DD` of at most 31 days, then whitespace, then the holiday's name.
//!
//! Comments take a whole line (a `#` elsewhere is part of the text). A date may appear only once;
//! when `years:` is given, every holiday must fall in those years (this catches typos such as
//! 2062 for 2026).

use std::collections::BTreeMap;
use std::ops::{Bound, RangeInclusive};
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, NaiveTime, Utc, Weekday};
use thiserror::Error;

/// The calendars compiled into the crate, by file.
const BUILTIN_SOURCES: &[(&str, &str)] = &[
    ("SA", include_str!("../data/calendars/SA.txt")),
    ("SAT_SUN", include_str!("../data/calendars/SAT_SUN.txt")),
];

/// The longest holiday range accepted on one line, in days.
const MAX_RANGE_DAYS: i64 = 31;

/// The longest calendar name accepted.
const MAX_NAME_LEN: usize = 32;

static BUILTIN: LazyLock<Result<CalendarRegistry, CalendarError>> = LazyLock::new(|| {
    let mut registry = CalendarRegistry::new();
    for (_, text) in BUILTIN_SOURCES {
        registry.insert(BusinessCalendar::parse(text)?);
    }
    Ok(registry)
});

/// Why a calendar could not be parsed, found or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// No calendar of that name is known.
    #[error("unknown business calendar {0:?}")]
    UnknownCalendar(String),
    /// The result would be outside the range of dates that can be represented.
    #[error("date arithmetic left the supported range of dates")]
    DateOutOfRange,
    /// Business-day arithmetic reached a year for which the calendar's holidays are not known.
    #[error(
        "the {calendar} calendar knows its holidays for {first}–{last} only; business days in {year} cannot be counted yet"
    )]
    HolidaysUnknown {
        /// The calendar's name.
        calendar: String,
        /// The first year reached outside the table.
        year: i32,
        /// The first year of the table.
        first: i32,
        /// The last year of the table.
        last: i32,
    },
    /// The calendar text has no `name:` line.
    #[error("the calendar has no `name:` line")]
    MissingName,
    /// The calendar text has no `weekend:` line.
    #[error("the calendar has no `weekend:` line")]
    MissingWeekend,
    /// Every day of the week is a weekend day, so no business day exists.
    #[error("the calendar's weekend covers the whole week")]
    NoBusinessDays,
    /// A line that is neither a comment, a header nor a holiday.
    #[error("line {line}: expected `key: value` or `YYYY-MM-DD name`, got {text:?}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The line, shortened.
        text: String,
    },
    /// A header key other than `name`, `weekend` or `years`.
    #[error("line {line}: unknown header {key:?} (expected name, weekend or years)")]
    UnknownHeader {
        /// 1-based line number.
        line: usize,
        /// The key.
        key: String,
    },
    /// A header given twice.
    #[error("line {line}: header {key:?} appears twice")]
    DuplicateHeader {
        /// 1-based line number.
        line: usize,
        /// The key.
        key: String,
    },
    /// A name with characters other than letters, digits, `_` and `-`, or too long.
    #[error("line {line}: invalid calendar name {name:?} (1 to 32 letters, digits, '_' or '-')")]
    InvalidName {
        /// 1-based line number.
        line: usize,
        /// The name.
        name: String,
    },
    /// A word in `weekend:` that is not a weekday.
    #[error("line {line}: {value:?} is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")]
    InvalidWeekday {
        /// 1-based line number.
        line: usize,
        /// The word.
        value: String,
    },
    /// A `years:` value that is not `YYYY` or `YYYY-YYYY` with the first year not after the last.
    #[error("line {line}: invalid years {value:?} (expected YYYY or YYYY-YYYY)")]
    InvalidYears {
        /// 1-based line number.
        line: usize,
        /// The value.
        value: String,
    },
    /// A date that is not a valid `YYYY-MM-DD`.
    #[error("line {line}: {value:?} is not a date (YYYY-MM-DD)")]
    InvalidDate {
        /// 1-based line number.
        line: usize,
        /// The text.
        value: String,
    },
    /// A range whose end is before its start or that is longer than 31 days.
    #[error("line {line}: a holiday range must run forwards and span at most 31 days")]
    InvalidRange {
        /// 1-based line number.
        line: usize,
    },
    /// A holiday line without a name.
    #[error("line {line}: the holiday has no name")]
    MissingHolidayName {
        /// 1-based line number.
        line: usize,
    },
    /// A date listed twice.
    #[error("line {line}: {date} is already a holiday")]
    DuplicateHoliday {
        /// 1-based line number.
        line: usize,
        /// The date.
        date: NaiveDate,
    },
    /// A holiday outside the years declared by `years:`.
    #[error("line {line}: {date} is outside the calendar's declared years")]
    HolidayOutsideYears {
        /// 1-based line number.
        line: usize,
        /// The date.
        date: NaiveDate,
    },
}

/// A named business calendar: weekend days plus a table of holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    name: String,
    /// Indexed by [`Weekday::num_days_from_monday`].
    weekend: [bool; 7],
    holidays: BTreeMap<NaiveDate, String>,
    years: Option<RangeInclusive<i32>>,
}

impl BusinessCalendar {
    /// Parses a calendar from the text format described in the module documentation.
    ///
    /// # Errors
    /// A [`CalendarError`] naming the offending line.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut name: Option<String> = None;
        let mut weekend: Option<[bool; 7]> = None;
        let mut years: Option<RangeInclusive<i32>> = None;
        // Holidays are checked against `years` after all headers are read.
        let mut holidays: BTreeMap<NaiveDate, (usize, String)> = BTreeMap::new();

        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.starts_with(|c: char| c.is_ascii_digit()) {
                parse_holiday(line, content, &mut holidays)?;
                continue;
            }
            let Some((key, value)) = content.split_once(':') else {
                return Err(CalendarError::Malformed {
                    line,
                    text: content.chars().take(60).collect(),
                });
            };
            let (key, value) = (key.trim(), value.trim());
            let duplicate = || CalendarError::DuplicateHeader {
                line,
                key: key.to_owned(),
            };
            match key {
                "name" => {
                    if name.is_some() {
                        return Err(duplicate());
                    }
                    name = Some(parse_name(line, value)?);
                }
                "weekend" => {
                    if weekend.is_some() {
                        return Err(duplicate());
                    }
                    weekend = Some(parse_weekend(line, value)?);
                }
                "years" => {
                    if years.is_some() {
                        return Err(duplicate());
                    }
                    years = Some(parse_years(line, value)?);
                }
                _ => {
                    return Err(CalendarError::UnknownHeader {
                        line,
                        key: key.chars().take(40).collect(),
                    });
                }
            }
        }

        let name = name.ok_or(CalendarError::MissingName)?;
        let weekend = weekend.ok_or(CalendarError::MissingWeekend)?;
        if weekend.iter().all(|&is_weekend| is_weekend) {
            return Err(CalendarError::NoBusinessDays);
        }
        if let Some(years) = &years
            && let Some((&date, &(line, _))) = holidays
                .iter()
                .find(|(date, _)| !years.contains(&date.year()))
        {
            return Err(CalendarError::HolidayOutsideYears { line, date });
        }
        Ok(Self {
            name,
            weekend,
            holidays: holidays
                .into_iter()
                .map(|(date, (_, holiday))| (date, holiday))
                .collect(),
            years,
        })
    }

    /// A calendar compiled into the crate: `SA` (Saudi banks: Friday–Saturday weekend and the
    /// holidays of 2025–2029) or `SAT_SUN` (Saturday–Sunday weekend, no holidays).
    ///
    /// # Errors
    /// [`CalendarError::UnknownCalendar`] for any other name. (A built-in file that fails to
    /// parse would also surface here as its parse error; the crate's tests rule that out.)
    pub fn builtin(name: &str) -> Result<&'static Self, CalendarError> {
        CalendarRegistry::builtin()?.get(name)
    }

    /// The calendar's name, e.g. `SA`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> impl Iterator<Item = Weekday> + '_ {
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .filter(|day| self.weekend[index_of(*day)])
    }

    /// The holidays in date order, with their names.
    pub fn holidays(&self) -> impl Iterator<Item = (NaiveDate, &str)> + '_ {
        self.holidays
            .iter()
            .map(|(date, holiday)| (*date, holiday.as_str()))
    }

    /// The years for which the holiday table is declared complete; `None` if the file made no
    /// such claim (then the table is taken as complete for every year).
    #[must_use]
    pub fn holiday_years(&self) -> Option<RangeInclusive<i32>> {
        self.years.clone()
    }

    /// True unless the calendar declares its holiday table complete only for other years than
    /// the year of `date`: beyond the table, results ignore holidays not yet published.
    #[must_use]
    pub fn knows_holidays_for(&self, date: NaiveDate) -> bool {
        self.years
            .as_ref()
            .is_none_or(|years| years.contains(&date.year()))
    }

    /// True if `date` falls on a weekend day.
    #[must_use]
    pub fn is_weekend(&self, date: NaiveDate) -> bool {
        self.weekend[index_of(date.weekday())]
    }

    /// The name of the holiday on `date`, if it is one.
    #[must_use]
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    /// True if `date` is neither a weekend day nor a holiday.
    #[must_use]
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.is_weekend(date) && !self.holidays.contains_key(&date)
    }

    /// `date` if it is a business day, otherwise the first business day after it.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] at the end of the representable dates;
    /// [`CalendarError::HolidaysUnknown`] if a day looked at lies outside the holiday table.
    pub fn next_business_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        self.covers(day)?;
        while !self.is_business_day(day) {
            day = day.succ_opt().ok_or(CalendarError::DateOutOfRange)?;
            self.covers(day)?;
        }
        Ok(day)
    }

    /// `date` if it is a business day, otherwise the last business day before it.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] at the start of the representable dates;
    /// [`CalendarError::HolidaysUnknown`] if a day looked at lies outside the holiday table.
    pub fn previous_business_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        self.covers(day)?;
        while !self.is_business_day(day) {
            day = day.pred_opt().ok_or(CalendarError::DateOutOfRange)?;
            self.covers(day)?;
        }
        Ok(day)
    }

    /// `Ok` if the holiday table covers the year of `date`, else
    /// [`CalendarError::HolidaysUnknown`] naming that year.
    fn covers(&self, date: NaiveDate) -> Result<(), CalendarError> {
        match &self.years {
            Some(years) if !years.contains(&date.year()) => Err(CalendarError::HolidaysUnknown {
                calendar: self.name.clone(),
                year: date.year(),
                first: *years.start(),
                last: *years.end(),
            }),
            _ => Ok(()),
        }
    }

    /// `Ok` if the table covers every day from `a` to `b` (in either order). The years are one
    /// range, so the two ends decide; the end outside the table is named.
    fn covers_between(&self, a: NaiveDate, b: NaiveDate) -> Result<(), CalendarError> {
        self.covers(a)?;
        self.covers(b)
    }

    /// The `n`-th business day after `date` (`date` itself does not count); for `n = 0`, `date`
    /// if it is a business day, else the next business day.
    ///
    /// Runs in time proportional to the number of holidays crossed, not to `n`.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] if the result is not representable;
    /// [`CalendarError::HolidaysUnknown`] if the count crosses a year outside the holiday table.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.shift_business_days(date, n, Step::Forward)
    }

    /// The `n`-th business day before `date` (`date` itself does not count); for `n = 0`, `date`
    /// if it is a business day, else the previous business day.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`] if the result is not representable;
    /// [`CalendarError::HolidaysUnknown`] if the count crosses a year outside the holiday table.
    pub fn subtract_business_days(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        self.shift_business_days(date, n, Step::Backward)
    }

    /// The number of business days in `(start, end]`; negative (the count over `(end, start]`)
    /// when `end < start`, zero when they are equal.
    ///
    /// # Errors
    /// [`CalendarError::HolidaysUnknown`] if either date lies outside the holiday table.
    pub fn business_days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<i64, CalendarError> {
        self.covers_between(start, end)?;
        Ok(if end < start {
            -self.business_days_in(end, start)
        } else {
            self.business_days_in(start, end)
        })
    }

    /// Business days in `(start, end]`, for `start <= end`.
    fn business_days_in(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        let days = end.signed_duration_since(start).num_days();
        let full_weeks = days / 7;
        let mut count = full_weeks * i64::from(self.working_days_per_week());
        // Any 7 consecutive days hold each weekday once; walk only the remainder. The jump stays
        // within (start, end], so it is representable.
        let mut day = u64::try_from(full_weeks * 7)
            .ok()
            .and_then(|jump| start.checked_add_days(Days::new(jump)))
            .unwrap_or(end);
        while day < end {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if !self.is_weekend(day) {
                count += 1;
            }
        }
        let holidays_on_working_days = self
            .holidays
            .range((Bound::Excluded(start), Bound::Included(end)))
            .filter(|(date, _)| !self.is_weekend(**date))
            .count();
        count - i64::try_from(holidays_on_working_days).unwrap_or(0)
    }

    fn working_days_per_week(&self) -> u32 {
        // At least one, as `parse` refuses a calendar without business days.
        let weekend_days = self
            .weekend
            .iter()
            .filter(|&&is_weekend| is_weekend)
            .count();
        u32::try_from(7 - weekend_days).unwrap_or(1)
    }

    fn shift_business_days(
        &self,
        date: NaiveDate,
        n: u32,
        step: Step,
    ) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return match step {
                Step::Forward => self.next_business_day(date),
                Step::Backward => self.previous_business_day(date),
            };
        }
        // Move over `remaining` non-weekend days ignoring holidays, then make up for the
        // holidays that were crossed. Each round crosses fresh holidays only, so the loop ends
        // after at most one round per holiday.
        let mut cursor = date;
        let mut remaining = n;
        loop {
            let candidate = self.shift_non_weekend_days(cursor, remaining, step)?;
            // Holidays in (cursor, candidate] going forward, [candidate, cursor) going back.
            let range = match step {
                Step::Forward => (Bound::Excluded(cursor), Bound::Included(candidate)),
                Step::Backward => (Bound::Included(candidate), Bound::Excluded(cursor)),
            };
            let crossed = self
                .holidays
                .range(range)
                .filter(|(day, _)| !self.is_weekend(**day))
                .count();
            self.covers_between(date, candidate)?;
            if crossed == 0 {
                return Ok(candidate);
            }
            cursor = candidate;
            remaining = u32::try_from(crossed).map_err(|_| CalendarError::DateOutOfRange)?;
        }
    }

    /// The `m`-th day after (or before) `date` that is not a weekend day, for `m ≥ 1`.
    fn shift_non_weekend_days(
        &self,
        date: NaiveDate,
        m: u32,
        step: Step,
    ) -> Result<NaiveDate, CalendarError> {
        let per_week = self.working_days_per_week();
        let full_weeks = (m - 1) / per_week;
        let mut left = m - full_weeks * per_week;
        let jump = Days::new(u64::from(full_weeks) * 7);
        let mut day = match step {
            Step::Forward => date.checked_add_days(jump),
            Step::Backward => date.checked_sub_days(jump),
        }
        .ok_or(CalendarError::DateOutOfRange)?;
        while left > 0 {
            day = match step {
                Step::Forward => day.succ_opt(),
                Step::Backward => day.pred_opt(),
            }
            .ok_or(CalendarError::DateOutOfRange)?;
            if !self.is_weekend(day) {
                left -= 1;
            }
        }
        Ok(day)
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Forward,
    Backward,
}

/// Several calendars by name, e.g. the built-in ones plus those an operator loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarRegistry {
    calendars: BTreeMap<String, BusinessCalendar>,
}

impl CalendarRegistry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The calendars compiled into the crate (`SA`, `SAT_SUN`).
    ///
    /// # Errors
    /// The parse error of a built-in file, which the crate's tests rule out.
    pub fn builtin() -> Result<&'static Self, CalendarError> {
        BUILTIN.as_ref().map_err(Clone::clone)
    }

    /// Adds a calendar, replacing and returning any calendar of the same name.
    pub fn insert(&mut self, calendar: BusinessCalendar) -> Option<BusinessCalendar> {
        self.calendars.insert(calendar.name.clone(), calendar)
    }

    /// The calendar called `name` (names are case-sensitive).
    ///
    /// # Errors
    /// [`CalendarError::UnknownCalendar`] if there is none.
    pub fn get(&self, name: &str) -> Result<&BusinessCalendar, CalendarError> {
        self.calendars
            .get(name)
            .ok_or_else(|| CalendarError::UnknownCalendar(name.chars().take(64).collect()))
    }

    /// The names of the calendars, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.calendars.keys().map(String::as_str)
    }

    /// The calendars, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &BusinessCalendar> + '_ {
        self.calendars.values()
    }
}

/// `date` moved by `days` calendar days (negative moves back).
///
/// # Errors
/// [`CalendarError::DateOutOfRange`] if the result is not representable.
pub fn add_calendar_days(date: NaiveDate, days: i64) -> Result<NaiveDate, CalendarError> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(magnitude)
    } else {
        date.checked_sub_days(magnitude)
    }
    .ok_or(CalendarError::DateOutOfRange)
}

/// `date` moved by `months` calendar months (negative moves back), keeping the day of the month
/// and clamping it to the last day of the target month: 31 Jan 2027 + 1 = 28 Feb 2027,
/// 31 Jan 2028 + 1 = 29 Feb 2028, 31 Mar − 1 = 28 or 29 Feb.
///
/// # Errors
/// [`CalendarError::DateOutOfRange`] if the result is not representable.
pub fn add_months(date: NaiveDate, months: i32) -> Result<NaiveDate, CalendarError> {
    let magnitude = Months::new(months.unsigned_abs());
    if months >= 0 {
        date.checked_add_months(magnitude)
    } else {
        date.checked_sub_months(magnitude)
    }
    .ok_or(CalendarError::DateOutOfRange)
}

fn index_of(day: Weekday) -> usize {
    usize::try_from(day.num_days_from_monday()).unwrap_or(0)
}

fn parse_name(line: usize, value: &str) -> Result<String, CalendarError> {
    let valid = !value.is_empty()
        && value.len() <= MAX_NAME_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(CalendarError::InvalidName {
            line,
            name: value.chars().take(40).collect(),
        })
    }
}

fn parse_weekend(line: usize, value: &str) -> Result<[bool; 7], CalendarError> {
    let mut weekend = [false; 7];
    for word in value.split(|c: char| c.is_whitespace() || c == ',') {
        if word.is_empty() {
            continue;
        }
        let day: Weekday = word.parse().map_err(|_| CalendarError::InvalidWeekday {
            line,
            value: word.chars().take(20).collect(),
        })?;
        weekend[index_of(day)] = true;
    }
    Ok(weekend)
}

fn parse_years(line: usize, value: &str) -> Result<RangeInclusive<i32>, CalendarError> {
    let invalid = || CalendarError::InvalidYears {
        line,
        value: value.chars().take(20).collect(),
    };
    let year = |text: &str| -> Result<i32, CalendarError> {
        let text = text.trim();
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let (first, last) = match value.split_once('-') {
        Some((first, last)) => (year(first)?, year(last)?),
        None => {
            let only = year(value)?;
            (only, only)
        }
    };
    if first > last {
        return Err(invalid());
    }
    Ok(first..=last)
}

fn parse_holiday(
    line: usize,
    content: &str,
    holidays: &mut BTreeMap<NaiveDate, (usize, String)>,
) -> Result<(), CalendarError> {
    let (dates, holiday) = content
        .split_once(char::is_whitespace)
        .map_or((content, ""), |(dates, rest)| (dates, rest.trim()));
    if holiday.is_empty() {
        return Err(CalendarError::MissingHolidayName { line });
    }
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10)
            .ok_or_else(|| CalendarError::InvalidDate {
                line,
                value: text.chars().take(24).collect(),
            })
    };
    let (first, last) = match dates.split_once("..") {
        Some((first, last)) => (date(first)?, date(last)?),
        None => {
            let only = date(dates)?;
            (only, only)
        }
    };
    let span = last.signed_duration_since(first).num_days();
    if !(0..MAX_RANGE_DAYS).contains(&span) {
        return Err(CalendarError::InvalidRange { line });
    }
    let mut day = first;
    loop {
        if holidays.contains_key(&day) {
            return Err(CalendarError::DuplicateHoliday { line, date: day });
        }
        holidays.insert(day, (line, holiday.to_owned()));
        if day >= last {
            return Ok(());
        }
        day = day.succ_opt().ok_or(CalendarError::DateOutOfRange)?;
    }
}

/// The time zone in which the days of business calendar `calendar` begin and end: a workout's
/// "today" is the local date there. `SA` is Asia/Riyadh (UTC+3, no daylight saving time);
/// `SAT_SUN`, which belongs to no place, is UTC. `None` for a calendar without a zone.
#[must_use]
pub fn zone_of(calendar: &str) -> Option<FixedOffset> {
    match calendar {
        "SA" => FixedOffset::east_opt(3 * 3600),
        "SAT_SUN" => FixedOffset::east_opt(0),
        _ => None,
    }
}

/// The date `at` falls on in business calendar `calendar`'s zone ([`zone_of`]; UTC for a calendar
/// without one): a workout's "today".
#[must_use]
pub fn today_in(calendar: &str, at: DateTime<Utc>) -> NaiveDate {
    zone_of(calendar).map_or_else(
        || at.date_naive(),
        |zone| at.with_timezone(&zone).date_naive(),
    )
}

/// The instant `day` ends in `zone` (the first instant of the next day there): when a deadline
/// due on `day` has passed. `None` out of range.
#[must_use]
pub fn end_of_day(day: NaiveDate, zone: FixedOffset) -> Option<DateTime<Utc>> {
    start_of_day(day.succ_opt()?, zone)
}

/// The instant `day` begins (00:00) in `zone`: when a reminder of something due on `day` goes
/// out. `None` out of range.
#[must_use]
pub fn start_of_day(day: NaiveDate, zone: FixedOffset) -> Option<DateTime<Utc>> {
    day.and_time(NaiveTime::MIN)
        .and_local_timezone(zone)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn sa() -> &'static BusinessCalendar {
        BusinessCalendar::builtin("SA").unwrap()
    }

    fn sat_sun() -> &'static BusinessCalendar {
        BusinessCalendar::builtin("SAT_SUN").unwrap()
    }

    #[test]
    fn a_day_starts_and_ends_at_midnight_in_the_calendars_zone() {
        let riyadh = zone_of("SA").unwrap();
        let day = date("2027-03-10");
        let starts = start_of_day(day, riyadh).unwrap();
        assert_eq!(starts.to_rfc3339(), "2027-03-09T21:00:00+00:00");
        assert_eq!(
            end_of_day(day, riyadh),
            start_of_day(date("2027-03-11"), riyadh)
        );
        assert_eq!(
            end_of_day(day, zone_of("SAT_SUN").unwrap())
                .unwrap()
                .to_rfc3339(),
            "2027-03-11T00:00:00+00:00"
        );
        assert_eq!(end_of_day(NaiveDate::MAX, riyadh), None);
    }

    /// The obvious day-by-day definition, to check the fast one against.
    fn naive_add(calendar: &BusinessCalendar, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        if n == 0 {
            while !calendar.is_business_day(day) {
                day = day.succ_opt().unwrap();
            }
            return day;
        }
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap();
            if calendar.is_business_day(day) {
                left -= 1;
            }
        }
        day
    }

    fn naive_between(calendar: &BusinessCalendar, start: NaiveDate, end: NaiveDate) -> i64 {
        let (low, high, sign) = if end < start {
            (end, start, -1)
        } else {
            (start, end, 1)
        };
        let mut count = 0;
        let mut day = low;
        while day < high {
            day = day.succ_opt().unwrap();
            if calendar.is_business_day(day) {
                count += 1;
            }
        }
        sign * count
    }

    #[test]
    fn every_builtin_file_parses_and_is_named_after_its_file() {
        for (file_name, text) in BUILTIN_SOURCES {
            let calendar = BusinessCalendar::parse(text).unwrap();
            assert_eq!(calendar.name(), *file_name);
        }
        let names: Vec<&str> = CalendarRegistry::builtin().unwrap().names().collect();
        assert_eq!(names, ["SA", "SAT_SUN"]);
    }

    #[test]
    fn an_unknown_calendar_is_an_error_value() {
        assert_eq!(
            BusinessCalendar::builtin("XX"),
            Err(CalendarError::UnknownCalendar("XX".to_owned()))
        );
        assert!(
            BusinessCalendar::builtin("sa").is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn the_saudi_calendar_has_a_friday_saturday_weekend_and_its_holidays() {
        let sa = sa();
        assert_eq!(
            sa.weekend().collect::<Vec<_>>(),
            [Weekday::Fri, Weekday::Sat]
        );
        assert_eq!(sa.holiday(date("2026-02-22")), Some("Founding Day"));
        assert_eq!(sa.holiday(date("2026-09-23")), Some("National Day"));
        assert_eq!(sa.holiday(date("2027-09-23")), Some("National Day"));
        assert!(
            sa.holiday(date("2025-02-23"))
                .unwrap()
                .starts_with("Founding Day")
        );
        for eid in [
            "2025-03-30",
            "2025-04-02",
            "2025-06-05",
            "2025-06-10",
            "2026-03-17",
            "2026-03-23",
            "2026-05-24",
            "2026-05-28",
            "2027-03-07",
            "2027-03-11",
            "2027-05-16",
            "2027-05-20",
        ] {
            assert!(
                sa.holiday(date(eid)).unwrap().starts_with("Eid al-"),
                "{eid}"
            );
        }
        assert!(!sa.is_business_day(date("2026-11-27")), "a Friday");
        assert!(!sa.is_business_day(date("2026-11-28")), "a Saturday");
        assert!(sa.is_business_day(date("2026-11-29")), "a Sunday");
        assert_eq!(sa.holiday_years(), Some(2025..=2029));
        assert!(sa.knows_holidays_for(date("2029-12-31")));
        assert!(!sa.knows_holidays_for(date("2030-01-01")));
        // SAMA's announced closures for 2028 and 2029, with the day moves of the fixed holidays.
        for (day, name) in [
            ("2028-02-27", "Eid al-Fitr"),
            ("2028-03-02", "Eid al-Fitr"),
            ("2028-05-09", "Eid al-Adha"),
            ("2028-09-24", "National Day"),
            ("2029-02-12", "Eid al-Fitr"),
            ("2029-02-22", "Founding Day"),
            ("2029-04-26", "Eid al-Adha"),
            ("2029-09-23", "National Day"),
        ] {
            assert!(sa.holiday(date(day)).unwrap().starts_with(name), "{day}");
        }
        assert!(sa.is_business_day(date("2028-09-25")), "the Monday after");
        assert!(sat_sun().knows_holidays_for(date("2100-01-01")));
    }

    #[test]
    fn every_saudi_holiday_year_has_its_four_occasions() {
        for year in 2025..=2029 {
            let names: Vec<&str> = sa()
                .holidays()
                .filter(|(day, _)| day.year() == year)
                .map(|(_, holiday)| holiday)
                .collect();
            for occasion in ["Founding Day", "Eid al-Fitr", "Eid al-Adha", "National Day"] {
                assert!(
                    names.iter().any(|holiday| holiday.starts_with(occasion)),
                    "{year} lacks {occasion}"
                );
            }
        }
    }

    #[test]
    fn thursday_plus_one_business_day_in_saudi_arabia_is_sunday() {
        assert_eq!(
            sa().add_business_days(date("2026-11-26"), 1).unwrap(),
            date("2026-11-29")
        );
    }

    #[test]
    fn adding_business_days_skips_founding_day() {
        // Thu 2026-02-19 + 1: Fri and Sat are the weekend, Sun 22 Feb is Founding Day.
        assert_eq!(
            sa().add_business_days(date("2026-02-19"), 1).unwrap(),
            date("2026-02-23")
        );
        assert_eq!(
            sa().business_days_between(date("2026-02-19"), date("2026-02-23")),
            Ok(1)
        );
    }

    #[test]
    fn five_business_days_across_eid_al_fitr_2026() {
        // Mon 2026-03-16; Tue 17 – Mon 23 March is the banks' Eid al-Fitr closure.
        assert_eq!(
            sa().add_business_days(date("2026-03-16"), 5).unwrap(),
            date("2026-03-30")
        );
    }

    #[test]
    fn a_saturday_sunday_weekend_is_skipped() {
        let cal = sat_sun();
        // Fri 2026-11-27 + 1 = Mon 2026-11-30.
        assert_eq!(
            cal.add_business_days(date("2026-11-27"), 1).unwrap(),
            date("2026-11-30")
        );
        // Fri + 5 = next Fri.
        assert_eq!(
            cal.add_business_days(date("2026-11-27"), 5).unwrap(),
            date("2026-12-04")
        );
        // In Saudi Arabia the same Friday is a weekend day; +1 is Sunday.
        assert_eq!(
            sa().add_business_days(date("2026-11-27"), 1).unwrap(),
            date("2026-11-29")
        );
    }

    #[test]
    fn zero_business_days_is_the_day_itself_or_the_next_business_day() {
        let cal = sa();
        assert_eq!(
            cal.add_business_days(date("2026-11-26"), 0).unwrap(),
            date("2026-11-26")
        );
        assert_eq!(
            cal.add_business_days(date("2026-11-27"), 0).unwrap(),
            date("2026-11-29")
        );
        assert_eq!(
            cal.subtract_business_days(date("2026-11-28"), 0).unwrap(),
            date("2026-11-26")
        );
    }

    #[test]
    fn subtracting_business_days_mirrors_adding() {
        // Sun 2026-11-29 − 1 = Thu 2026-11-26.
        assert_eq!(
            sa().subtract_business_days(date("2026-11-29"), 1).unwrap(),
            date("2026-11-26")
        );
        // Mon 2026-02-23 − 1 skips Founding Day and the weekend.
        assert_eq!(
            sa().subtract_business_days(date("2026-02-23"), 1).unwrap(),
            date("2026-02-19")
        );
    }

    #[test]
    fn business_days_between_counts_the_end_but_not_the_start() {
        let cal = sat_sun();
        let monday = date("2026-11-30");
        assert_eq!(cal.business_days_between(monday, monday), Ok(0));
        assert_eq!(cal.business_days_between(monday, date("2026-12-01")), Ok(1));
        assert_eq!(cal.business_days_between(monday, date("2026-12-07")), Ok(5));
        assert_eq!(
            cal.business_days_between(date("2026-12-07"), monday),
            Ok(-5)
        );
        // Sat → Sun: no business day in (Sat, Sun].
        assert_eq!(
            cal.business_days_between(date("2026-11-28"), date("2026-11-29")),
            Ok(0)
        );
    }

    #[test]
    fn far_jumps_are_fast_and_overflow_is_an_error() {
        let cal = sat_sun();
        let far = cal
            .add_business_days(date("2026-01-01"), 1_000_000)
            .unwrap();
        assert_eq!(
            cal.business_days_between(date("2026-01-01"), far),
            Ok(1_000_000)
        );
        assert_eq!(
            cal.add_business_days(date("2026-01-01"), u32::MAX),
            Err(CalendarError::DateOutOfRange)
        );
        assert_eq!(
            cal.add_business_days(NaiveDate::MAX, 1),
            Err(CalendarError::DateOutOfRange)
        );
        assert_eq!(
            cal.subtract_business_days(NaiveDate::MIN, 1),
            Err(CalendarError::DateOutOfRange)
        );
    }

    #[test]
    fn business_days_past_the_holiday_table_are_an_error_naming_calendar_and_year() {
        fn unknown<T>(year: i32) -> Result<T, CalendarError> {
            Err(CalendarError::HolidaysUnknown {
                calendar: "SA".to_owned(),
                year,
                first: 2025,
                last: 2029,
            })
        }
        let sa = sa();
        // Thu 2029-12-27 + 1: Sun 2029-12-30 is still in the table; + 3 reaches 2030.
        assert_eq!(
            sa.add_business_days(date("2029-12-27"), 1),
            Ok(date("2029-12-30"))
        );
        assert_eq!(sa.add_business_days(date("2029-12-27"), 3), unknown(2030));
        assert_eq!(sa.add_business_days(date("2030-06-02"), 0), unknown(2030));
        assert_eq!(sa.next_business_day(date("2031-01-03")), unknown(2031));
        assert_eq!(
            sa.subtract_business_days(date("2025-01-02"), 5),
            unknown(2024)
        );
        assert_eq!(sa.previous_business_day(date("2024-12-31")), unknown(2024));
        assert_eq!(
            sa.business_days_between(date("2026-01-01"), date("2030-01-01")),
            unknown(2030)
        );
        assert_eq!(
            sa.add_business_days(date("2029-12-27"), 3)
                .unwrap_err()
                .to_string(),
            "the SA calendar knows its holidays for 2025–2029 only; business days in 2030 cannot be counted yet"
        );
        // A calendar that claims no years answers for every year.
        assert!(sat_sun().add_business_days(date("2100-01-01"), 5).is_ok());
    }

    #[test]
    fn month_arithmetic_clamps_to_the_end_of_the_month() {
        assert_eq!(
            add_months(date("2027-01-31"), 1).unwrap(),
            date("2027-02-28")
        );
        assert_eq!(
            add_months(date("2028-01-31"), 1).unwrap(),
            date("2028-02-29")
        );
        assert_eq!(
            add_months(date("2100-01-31"), 1).unwrap(),
            date("2100-02-28")
        );
        assert_eq!(
            add_months(date("2000-01-31"), 1).unwrap(),
            date("2000-02-29")
        );
        assert_eq!(
            add_months(date("2026-08-31"), 1).unwrap(),
            date("2026-09-30")
        );
        assert_eq!(
            add_months(date("2026-01-15"), 6).unwrap(),
            date("2026-07-15")
        );
        assert_eq!(
            add_months(date("2026-10-31"), 3).unwrap(),
            date("2027-01-31")
        );
        assert_eq!(
            add_months(date("2028-02-29"), 12).unwrap(),
            date("2029-02-28")
        );
        assert_eq!(
            add_months(date("2026-03-31"), -1).unwrap(),
            date("2026-02-28")
        );
        assert_eq!(
            add_months(date("2026-07-31"), -1).unwrap(),
            date("2026-06-30")
        );
        assert_eq!(
            add_months(date("2026-07-31"), 0).unwrap(),
            date("2026-07-31")
        );
        assert_eq!(
            add_months(NaiveDate::MAX, 1),
            Err(CalendarError::DateOutOfRange)
        );
    }

    #[test]
    fn calendar_days_ignore_weekends_and_holidays() {
        assert_eq!(
            add_calendar_days(date("2026-02-21"), 1).unwrap(),
            date("2026-02-22")
        );
        assert_eq!(
            add_calendar_days(date("2026-03-01"), -1).unwrap(),
            date("2026-02-28")
        );
        assert_eq!(
            add_calendar_days(NaiveDate::MAX, 1),
            Err(CalendarError::DateOutOfRange)
        );
    }

    #[test]
    fn an_operator_calendar_parses_with_comments_ranges_and_commas() {
        let text = "\
            # Test bank\n\
            name: TEST-1\n\
            weekend: sat, SUNDAY\n\
            years: 2030\n\
            \n\
            2030-01-01 New Year # not a comment\n\
            2030-04-01..2030-04-03   Spring break\n";
        let cal = BusinessCalendar::parse(text).unwrap();
        assert_eq!(cal.name(), "TEST-1");
        assert_eq!(
            cal.weekend().collect::<Vec<_>>(),
            [Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(
            cal.holiday(date("2030-01-01")),
            Some("New Year # not a comment")
        );
        assert_eq!(cal.holidays().count(), 4);
        assert_eq!(cal.holiday(date("2030-04-02")), Some("Spring break"));
        let mut registry = CalendarRegistry::new();
        assert!(registry.insert(cal.clone()).is_none());
        assert_eq!(registry.insert(cal.clone()), Some(cal));
        assert_eq!(registry.get("TEST-1").unwrap().name(), "TEST-1");
        assert!(matches!(
            registry.get("SA"),
            Err(CalendarError::UnknownCalendar(_))
        ));
        assert_eq!(registry.iter().count(), 1);
    }

    #[test]
    fn bad_calendar_files_are_refused_with_the_line() {
        let base = "name: X\nweekend: Fri Sat\n";
        let cases: Vec<(String, CalendarError)> = vec![
            ("weekend: Sat\n".to_owned(), CalendarError::MissingName),
            ("name: X\n".to_owned(), CalendarError::MissingWeekend),
            (
                "name: X\nweekend: Mon Tue Wed Thu Fri Sat Sun\n".to_owned(),
                CalendarError::NoBusinessDays,
            ),
            (
                format!("{base}name: Y\n"),
                CalendarError::DuplicateHeader {
                    line: 3,
                    key: "name".to_owned(),
                },
            ),
            (
                format!("{base}timezone: UTC\n"),
                CalendarError::UnknownHeader {
                    line: 3,
                    key: "timezone".to_owned(),
                },
            ),
            (
                format!("{base}just words\n"),
                CalendarError::Malformed {
                    line: 3,
                    text: "just words".to_owned(),
                },
            ),
            (
                "name: S A\nweekend: Sat\n".to_owned(),
                CalendarError::InvalidName {
                    line: 1,
                    name: "S A".to_owned(),
                },
            ),
            (
                "name: X\nweekend: Fri Caturday\n".to_owned(),
                CalendarError::InvalidWeekday {
                    line: 2,
                    value: "Caturday".to_owned(),
                },
            ),
            (
                format!("{base}years: 2027-2025\n"),
                CalendarError::InvalidYears {
                    line: 3,
                    value: "2027-2025".to_owned(),
                },
            ),
            (
                format!("{base}2026-02-30 Not a day\n"),
                CalendarError::InvalidDate {
                    line: 3,
                    value: "2026-02-30".to_owned(),
                },
            ),
            (
                format!("{base}2026-2-3 Short\n"),
                CalendarError::InvalidDate {
                    line: 3,
                    value: "2026-2-3".to_owned(),
                },
            ),
            (
                format!("{base}2026-02-22\n"),
                CalendarError::MissingHolidayName { line: 3 },
            ),
            (
                format!("{base}2026-03-23..2026-03-17 Backwards\n"),
                CalendarError::InvalidRange { line: 3 },
            ),
            (
                format!("{base}2026-03-01..2026-04-30 Too long\n"),
                CalendarError::InvalidRange { line: 3 },
            ),
            (
                format!("{base}2026-03-17..2026-03-23 Eid\n2026-03-20 Again\n"),
                CalendarError::DuplicateHoliday {
                    line: 4,
                    date: date("2026-03-20"),
                },
            ),
            (
                format!("{base}years: 2026\n2062-02-22 Typo\n"),
                CalendarError::HolidayOutsideYears {
                    line: 4,
                    date: date("2062-02-22"),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(BusinessCalendar::parse(&text), Err(expected), "{text}");
        }
    }

    #[test]
    fn errors_read_on_their_own() {
        let err = BusinessCalendar::parse("name: X\nweekend: Fri\n2026-13-01 Bad\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: \"2026-13-01\" is not a date (YYYY-MM-DD)"
        );
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2024..2029 crosses every built-in holiday; wider ranges are checked separately.
        (0_u64..(6 * 366)).prop_map(|offset| date("2024-01-01") + Days::new(offset))
    }

    fn any_calendar() -> impl Strategy<Value = &'static BusinessCalendar> {
        prop_oneof![Just(sa()), Just(sat_sun())]
    }

    /// Operator calendars with any weekend (but not the whole week) and dense random holidays,
    /// over a wide span of years.
    fn any_operator_calendar() -> impl Strategy<Value = (BusinessCalendar, NaiveDate)> {
        let weekend = proptest::collection::btree_set(0_u8..7, 0..7);
        let holidays = proptest::collection::btree_set(0_u64..400, 0..80);
        let base = (0_u64..(300 * 365)).prop_map(|offset| date("1900-01-01") + Days::new(offset));
        (weekend, holidays, base).prop_map(|(weekend, holidays, base)| {
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let mut text = String::from("name: RANDOM\nweekend:");
            for day in &weekend {
                text.push(' ');
                text.push_str(names[usize::from(*day)]);
            }
            text.push('\n');
            for offset in &holidays {
                let day = base + Days::new(*offset);
                text.push_str(&format!("{day} Holiday {offset}\n"));
            }
            (BusinessCalendar::parse(&text).unwrap(), base)
        })
    }

    /// What walking day by day gives where the table covers the walk, else the calendar's error.
    fn expected<T>(calendar: &BusinessCalendar, ends: [NaiveDate; 2], walked: T) -> Result<T, ()> {
        if ends.iter().all(|day| calendar.knows_holidays_for(*day)) {
            Ok(walked)
        } else {
            Err(())
        }
    }

    /// A result with any [`CalendarError::HolidaysUnknown`] reduced to `Err(())`.
    fn known<T>(result: Result<T, CalendarError>) -> Result<T, ()> {
        result.map_err(|error| assert!(matches!(error, CalendarError::HolidaysUnknown { .. })))
    }

    proptest! {
        #[test]
        fn adding_business_days_lands_on_a_business_day(
            cal in any_calendar(), start in any_date(), n in 0_u32..400,
        ) {
            let Ok(due) = known(cal.add_business_days(start, n)) else { return Ok(()) };
            prop_assert!(cal.is_business_day(due));
            prop_assert!(!cal.is_weekend(due));
            prop_assert!(cal.holiday(due).is_none());
            prop_assert!(due >= start);
        }

        #[test]
        fn adding_business_days_agrees_with_walking_day_by_day_inside_the_table(
            cal in any_calendar(), start in any_date(), n in 0_u32..400,
        ) {
            let walked = naive_add(cal, start, n);
            prop_assert_eq!(
                known(cal.add_business_days(start, n)),
                expected(cal, [start, walked], walked)
            );
        }

        #[test]
        fn adding_business_days_is_strictly_increasing_from_one(
            cal in any_calendar(), start in any_date(), n in 1_u32..400,
        ) {
            let Ok(next) = known(cal.add_business_days(start, n + 1)) else { return Ok(()) };
            let here = cal.add_business_days(start, n).unwrap();
            prop_assert!(here < next);
            prop_assert!(cal.add_business_days(start, 0).unwrap() <= here);
        }

        #[test]
        fn counting_undoes_adding_from_a_business_day(
            cal in any_calendar(), start in any_date(), n in 0_u32..400,
        ) {
            let Ok(start) = known(cal.next_business_day(start)) else { return Ok(()) };
            let Ok(due) = known(cal.add_business_days(start, n)) else { return Ok(()) };
            prop_assert_eq!(cal.business_days_between(start, due), Ok(i64::from(n)));
            prop_assert_eq!(cal.business_days_between(due, start), Ok(-i64::from(n)));
        }

        #[test]
        fn subtracting_undoes_adding_from_a_business_day(
            cal in any_calendar(), start in any_date(), n in 0_u32..400,
        ) {
            let Ok(start) = known(cal.next_business_day(start)) else { return Ok(()) };
            let Ok(due) = known(cal.add_business_days(start, n)) else { return Ok(()) };
            prop_assert_eq!(cal.subtract_business_days(due, n), Ok(start));
        }

        #[test]
        fn business_days_between_agrees_with_walking_day_by_day_inside_the_table(
            cal in any_calendar(), start in any_date(), end in any_date(),
        ) {
            prop_assert_eq!(
                known(cal.business_days_between(start, end)),
                expected(cal, [start, end], naive_between(cal, start, end))
            );
        }

        #[test]
        fn add_months_never_panics_and_clamps_the_day(
            year in 1900_i32..2200, month in 1_u32..=12, day in 1_u32..=31, months in -2400_i32..2400,
        ) {
            let last_day = |y: i32, m: u32| {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                NaiveDate::from_ymd_opt(ny, nm, 1).unwrap().pred_opt().unwrap().day()
            };
            let day = day.min(last_day(year, month));
            let start = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            let moved = add_months(start, months).unwrap();
            let total = year * 12 + i32::try_from(month).unwrap() - 1 + months;
            prop_assert_eq!(moved.year(), total.div_euclid(12));
            prop_assert_eq!(i32::try_from(moved.month()).unwrap(), total.rem_euclid(12) + 1);
            prop_assert_eq!(moved.day(), day.min(last_day(moved.year(), moved.month())));
        }

        #[test]
        fn operator_calendars_agree_with_walking_day_by_day(
            (cal, base) in any_operator_calendar(), offset in 0_u64..400, n in 0_u32..200, span in 0_u64..500,
        ) {
            let start = base + Days::new(offset);
            let due = cal.add_business_days(start, n).unwrap();
            prop_assert_eq!(due, naive_add(&cal, start, n));
            prop_assert!(cal.is_business_day(due));
            let end = start + Days::new(span);
            prop_assert_eq!(cal.business_days_between(start, end), Ok(naive_between(&cal, start, end)));
            prop_assert_eq!(cal.business_days_between(end, start), Ok(naive_between(&cal, end, start)));
            let from_business_day = cal.next_business_day(start).unwrap();
            let there = cal.add_business_days(from_business_day, n).unwrap();
            prop_assert_eq!(cal.subtract_business_days(there, n).unwrap(), from_business_day);
            prop_assert_eq!(cal.business_days_between(from_business_day, there), Ok(i64::from(n)));
        }
    }
}
