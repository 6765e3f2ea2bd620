//! The sign-in throttle: failed password sign-ins make further attempts wait, per e-mail and per
//! client address.
//!
//! Rules: an attempt is counted under its e-mail (known or not, as typed, lowercased) and under the
//! address of its client (an IPv4 address, or the /64 network of an IPv6 one, since one subscriber
//! holds a whole /64). Within [`SignInLimits::window`], the first
//! [`per_email`](SignInLimits::per_email) failures for an e-mail and the first
//! [`per_address`](SignInLimits::per_address) from an address cost nothing; from then on each
//! failure makes the next attempt under that subject wait, first
//! [`first_delay`](SignInLimits::first_delay), then twice as long after each further failure, never
//! longer than [`max_delay`](SignInLimits::max_delay), counted from the last failure. An attempt
//! that comes too early is refused (429 with `Retry-After`) without its password being checked, and
//! is not counted: refusals never lengthen the wait, so nobody can lock another user out for longer
//! than the longest wait after their last guess. Counting comes before checking, in one step: under
//! a lock on the e-mail and then on the address, an attempt reads both counts and, if neither owes a
//! wait, records itself as a failure of both before its password is checked; parallel attempts
//! therefore cannot all pass while none is counted. A failed attempt then stamps its rows with the
//! time it failed; a successful one forgets every failure of its e-mail and takes back its own count
//! for the address (the other failures from that address still count: a success with one's own
//! account does not buy guesses at others').

use std::net::IpAddr;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Nullable, Text};
use diesel_async::RunQueryDsl;
use workout_http::ApiError;
use workout_store::{Pool, transaction};

use crate::schema::sign_in_failures;

/// How failed sign-ins slow further attempts down (settings `SIGN_IN_*`, `TRUSTED_PROXIES`).
#[derive(Debug, Clone)]
pub struct SignInLimits {
    /// How long a failed sign-in counts.
    pub window: Duration,
    /// Failures for one e-mail within the window before attempts for it wait (1 or more).
    pub per_email: u32,
    /// Failures from one client address within the window before attempts from it wait (1 or more).
    pub per_address: u32,
    /// The first wait; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// The reverse proxies whose `X-Forwarded-For` names the client (see
    /// [`workout_http::boundary::client_address`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl SignInLimits {
    /// The wait owed after `failures` failures within the window of which `allowed` are free:
    /// none below `allowed`, then the first delay, doubled for each further failure, at most the
    /// longest.
    pub fn delay_after(&self, failures: u64, allowed: u32) -> Option<Duration> {
        let over = failures.checked_sub(u64::from(allowed))?;
        let doublings = u32::try_from(over).unwrap_or(u32::MAX).min(31);
        Some(
            self.first_delay
                .saturating_mul(1_u32 << doublings)
                .min(self.max_delay),
        )
    }

    /// What is still to wait, `since_last` after the last of `failures` failures.
    fn remaining(&self, failures: u64, allowed: u32, since_last: Duration) -> Option<Duration> {
        self.delay_after(failures, allowed)?
            .checked_sub(since_last)
            .filter(|wait| !wait.is_zero())
    }
}

const EMAIL: &str = "email";
const ADDRESS: &str = "address";

/// The subject an address is counted under: an IPv4 address itself, an IPv6 address's /64
/// network; `unknown` when the connection has no peer address.
pub fn address_subject(address: Option<IpAddr>) -> String {
    match address {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => ipnet::Ipv6Net::new(v6, 64)
            .map(|network| network.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
        None => "unknown".to_owned(),
    }
}

/// An attempt let through: its rows, counted as failures until it is known how it went.
#[derive(Debug)]
#[must_use = "an attempt must be settled with `failed` or `succeeded`"]
pub struct Attempt {
    rows: Vec<i64>,
}

/// Whether an attempt may have its password checked.
#[derive(Debug)]
pub enum Admission {
    /// Yes; it is counted as a failure until settled.
    Admitted(Attempt),
    /// Not before this much time has passed.
    Wait(Duration),
}

#[derive(QueryableByName)]
struct Recent {
    #[diesel(sql_type = BigInt)]
    failures: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    since_last_ms: Option<i64>,
}

/// Reads the counts of `email` and `address` and, if neither owes a wait, counts the attempt under
/// both, in one transaction under their locks (see the module's rules).
pub async fn admit(
    pool: &Pool,
    limits: &SignInLimits,
    email: &str,
    address: &str,
) -> Result<Admission, ApiError> {
    // Always the e-mail's lock first, then the address's (each in its own key space): a holder of
    // an address lock waits for nothing, so two attempts never wait on each other in a cycle.
    let subjects = [
        (EMAIL, email, limits.per_email, 7_707_002_i64),
        (ADDRESS, address, limits.per_address, 7_707_003_i64),
    ];
    let window_secs = limits.window.as_secs_f64();
    transaction(pool, async |conn| {
        for (_, subject, _, key_space) in subjects {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
                .bind::<Text, _>(subject)
                .bind::<BigInt, _>(key_space)
                .execute(conn)
                .await?;
        }
        let mut wait = Duration::ZERO;
        for (kind, subject, allowed, _) in subjects {
            // Times are the database's clock alone (the one that stamps the rows), read now, not at
            // the transaction's start: the lock may have been waited for.
            let recent: Recent = diesel::sql_query(
                "SELECT count(*) AS failures,
                        (extract(epoch FROM clock_timestamp() - max(failed_at)) * 1000)::bigint
                            AS since_last_ms
                   FROM sign_in_failures
                  WHERE kind = $1 AND subject = $2
                    AND failed_at > clock_timestamp() - make_interval(secs => $3)",
            )
            .bind::<Text, _>(kind)
            .bind::<Text, _>(subject)
            .bind::<Double, _>(window_secs)
            .get_result(conn)
            .await?;
            let failures = u64::try_from(recent.failures).unwrap_or(0);
            let since_last = Duration::from_millis(
                recent
                    .since_last_ms
                    .and_then(|ms| u64::try_from(ms).ok())
                    .unwrap_or(0),
            );
            if let Some(remaining) = limits.remaining(failures, allowed, since_last) {
                wait = wait.max(remaining);
            }
        }
        if !wait.is_zero() {
            return Ok(Admission::Wait(wait));
        }
        let rows = diesel::insert_into(sign_in_failures::table)
            .values(&vec![
                (
                    sign_in_failures::kind.eq(EMAIL),
                    sign_in_failures::subject.eq(email),
                ),
                (
                    sign_in_failures::kind.eq(ADDRESS),
                    sign_in_failures::subject.eq(address),
                ),
            ])
            .returning(sign_in_failures::id)
            .get_results(conn)
            .await?;
        Ok(Admission::Admitted(Attempt { rows }))
    })
    .await
}

/// The attempt failed: its count stays, stamped with the time it failed (the wait it causes runs
/// from the answer, not from when the check began); failures older than the window are forgotten.
pub async fn failed(pool: &Pool, limits: &SignInLimits, attempt: Attempt) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    diesel::sql_query(
        "UPDATE sign_in_failures SET failed_at = clock_timestamp() WHERE id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(&attempt.rows)
    .execute(&mut conn)
    .await?;
    diesel::sql_query(
        "DELETE FROM sign_in_failures WHERE failed_at < clock_timestamp() - make_interval(secs => $1)",
    )
    .bind::<Double, _>(limits.window.as_secs_f64())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// The attempt succeeded: every failure of `email` is forgotten, and the attempt's own count for
/// its address is taken back.
pub async fn succeeded(pool: &Pool, email: &str, attempt: Attempt) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    diesel::delete(
        sign_in_failures::table.filter(
            sign_in_failures::kind
                .eq(EMAIL)
                .and(sign_in_failures::subject.eq(email))
                .or(sign_in_failures::id.eq_any(&attempt.rows)),
        ),
    )
    .execute(&mut conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> SignInLimits {
        SignInLimits {
            window: Duration::from_secs(900),
            per_email: 5,
            per_address: 20,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }

    #[test]
    fn the_wait_starts_after_the_free_failures_doubles_and_stops_at_the_longest() {
        let limits = limits();
        let waits: Vec<Option<u64>> = (0..=14)
            .map(|failures| limits.delay_after(failures, 5).map(|d| d.as_secs()))
            .collect();
        let expected = [
            None,
            None,
            None,
            None,
            None,
            Some(1),
            Some(2),
            Some(4),
            Some(8),
            Some(16),
            Some(32),
            Some(60),
            Some(60),
            Some(60),
            Some(60),
        ];
        assert_eq!(waits, expected);
        assert_eq!(
            limits.delay_after(u64::MAX, 0),
            Some(Duration::from_secs(60)),
            "no overflow however many failures"
        );
    }

    #[test]
    fn what_remains_is_counted_from_the_last_failure() {
        let limits = limits();
        assert_eq!(
            limits.remaining(7, 5, Duration::from_millis(1500)),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(limits.remaining(7, 5, Duration::from_secs(4)), None);
        assert_eq!(limits.remaining(7, 5, Duration::from_secs(30)), None);
        assert_eq!(limits.remaining(4, 5, Duration::ZERO), None);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_network() {
        let subject = |text: &str| address_subject(Some(text.parse().unwrap()));
        assert_eq!(subject("198.51.100.9"), "198.51.100.9");
        assert_eq!(subject("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            subject("2001:db8:1:2:bbbb::9"),
            subject("2001:db8:1:2:aaaa::1")
        );
        assert_ne!(subject("2001:db8:1:3::1"), subject("2001:db8:1:2::1"));
        assert_eq!(address_subject(None), "unknown");
    }
}
