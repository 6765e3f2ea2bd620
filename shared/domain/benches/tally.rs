//! The tally's cost: 10, 1,000 and 100,000 votes over three classes, tallied class by class with
//! a value and a number test (the Chapter 11 preset) and in one pool (majority lenders).
//! Criterion reports the time per tally and the votes per second; the time per vote is the time
//! per tally divided by the number of votes. Target: 100,000 votes in under 50 ms.
//!
//! Run with `cargo bench -p workout-domain --bench tally`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use uuid::Uuid;
use workout_domain::{Choice, CreditorClass, InstitutionId, Preset, Voter, tally};

/// A ballot of `votes` creditors who all voted, spread over three classes, one in ten of them
/// also holding a second class; ids in no particular order and weights with cents.
fn ballot(votes: usize) -> (Vec<Voter>, BTreeMap<InstitutionId, Choice>) {
    let classes = [
        CreditorClass::SECURED,
        CreditorClass::UNSECURED,
        CreditorClass::PREFERENTIAL,
    ];
    let choices = [Choice::For, Choice::For, Choice::Against, Choice::Abstain];
    let mut voters = Vec::with_capacity(votes + votes / 10);
    let mut cast = BTreeMap::new();
    for i in 0..votes {
        let n = u128::try_from(i).unwrap_or(u128::MAX);
        let creditor = InstitutionId::from_uuid(Uuid::from_u128(
            n.wrapping_add(1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
        ));
        let cents = i64::try_from(i * 7_919 % 10_000_000 + 1).unwrap_or(1);
        let row = |class: usize, cents: i64| Voter {
            creditor,
            class: classes[class % 3].clone(),
            weight: Decimal::new(cents, 2),
            related_party: i % 97 == 0,
            conflicted: false,
        };
        voters.push(row(i, cents));
        if i % 10 == 0 {
            voters.push(row(i + 1, cents / 3 + 1));
        }
        cast.insert(creditor, choices[i % 4]);
    }
    (voters, cast)
}

fn bench_tally(c: &mut Criterion) {
    let mut group = c.benchmark_group("tally");
    for votes in [10, 1_000, 100_000] {
        let (voters, cast) = ballot(votes);
        group.throughput(Throughput::Elements(votes as u64));
        for preset in [Preset::Chapter11Class, Preset::MajorityLenders] {
            let rule = preset.rule();
            group.bench_with_input(BenchmarkId::new(preset.as_str(), votes), &votes, |b, _| {
                b.iter(|| tally(black_box(&rule), black_box(&voters), black_box(&cast)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_tally);
criterion_main!(benches);
