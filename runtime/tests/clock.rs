//! Time formatting, clocks and id sources.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use flowc_runtime::{
    Clock, FixedClock, IdSource, ObjectIdSource, SequentialIds, SystemClock, format_iso8601_ms,
    parse_iso8601_ms,
};

const KNOWN: &[(u64, &str)] = &[
    (0, "1970-01-01T00:00:00.000Z"),
    (94_694_399_999, "1972-12-31T23:59:59.999Z"),
    (951_782_400_000, "2000-02-29T00:00:00.000Z"),
    (1_622_820_282_882, "2021-06-04T15:24:42.882Z"),
    (1_677_777_105_602, "2023-03-02T17:11:45.602Z"),
    (1_704_067_200_000, "2024-01-01T00:00:00.000Z"),
    (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
    (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
    (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
    (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
];

#[test]
fn formats_known_instants() {
    for &(ms, text) in KNOWN {
        assert_eq!(format_iso8601_ms(ms), text, "{ms}");
    }
}

#[test]
fn parses_what_it_formats() {
    for &(ms, text) in KNOWN {
        assert_eq!(parse_iso8601_ms(text), Some(ms), "{text}");
    }
    // Every day boundary across a few leap cycles survives the round trip.
    let day = 86_400_000;
    for n in (0..20_000u64).step_by(7) {
        let ms = n * day + 3_723_004;
        assert_eq!(parse_iso8601_ms(&format_iso8601_ms(ms)), Some(ms));
    }
}

#[test]
fn rejects_invalid_dates_and_shapes() {
    for bad in [
        "",
        "2023-03-02T17:11:45Z",
        "2023-03-02 17:11:45.602Z",
        "2023-02-29T00:00:00.000Z",
        "2100-02-29T00:00:00.000Z",
        "2023-13-01T00:00:00.000Z",
        "2023-04-31T00:00:00.000Z",
        "2023-01-01T24:00:00.000Z",
        "1969-12-31T23:59:59.999Z",
        "2023-0a-01T00:00:00.000Z",
        "2023-03-02T17:11:45.602+",
    ] {
        assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
    }
    assert_eq!(
        parse_iso8601_ms("2024-02-29T00:00:00.000Z"),
        Some(1_709_164_800_000)
    );
}

#[test]
fn fixed_clock_is_deterministic() {
    let clock = FixedClock::new(1_677_777_105_602, 250).with_response_time(12);
    assert_eq!(clock.now_iso8601(), "2023-03-02T17:11:45.602Z");
    assert_eq!(clock.now_iso8601(), "2023-03-02T17:11:45.852Z");
    let mark = clock.mark();
    assert_eq!(clock.elapsed_ms(mark), 12);
    let default = FixedClock::default();
    assert_eq!(default.now_iso8601(), "2024-01-01T00:00:00.000Z");
    assert_eq!(default.now_iso8601(), "2024-01-01T00:00:01.000Z");
    assert_eq!(default.elapsed_ms(default.mark()), 0);
}

#[test]
fn system_clock_is_sane() {
    let clock = SystemClock::new();
    let mark = clock.mark();
    // After 2024, before 2100.
    let now = clock.now_unix_ms();
    assert!(now > 1_704_067_200_000 && now < 4_107_542_400_000, "{now}");
    assert!(clock.elapsed_ms(mark) < 60_000);
    assert_eq!(clock.now_iso8601().len(), 24);
}

#[test]
fn sequential_ids_count_per_kind() {
    let ids = SequentialIds::new();
    assert_eq!(ids.transaction_id(), "tx-000001");
    assert_eq!(ids.transaction_id(), "tx-000002");
    assert_eq!(ids.user_context_id(), "uc-000001");
    assert_eq!(ids.transaction_id(), "tx-000003");
}

#[test]
fn object_ids_look_like_parloa_ids_and_are_unique() {
    let ids = Arc::new(ObjectIdSource::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let ids = Arc::clone(&ids);
            thread::spawn(move || {
                (0..1_000)
                    .map(|i| {
                        if i % 2 == 0 {
                            ids.transaction_id()
                        } else {
                            ids.user_context_id()
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for handle in handles {
        for id in handle.join().expect("thread finished") {
            assert_eq!(id.len(), 24, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{id}"
            );
            assert!(seen.insert(id), "duplicate id");
        }
    }
    // The first 8 hex digits are the current unix seconds.
    let id = ids.transaction_id();
    let secs = u64::from_str_radix(&id[..8], 16).expect("hex");
    let now = SystemClock::new().now_unix_ms() / 1_000;
    assert!(now.abs_diff(secs) < 60, "{id}");
    // Two sources differ in their middle bytes.
    let other = ObjectIdSource::new().transaction_id();
    assert_ne!(&id[8..18], &other[8..18]);
}

#[test]
fn sources_are_usable_as_trait_objects() {
    let clock: Box<dyn Clock> = Box::new(FixedClock::default());
    let ids: Arc<dyn IdSource> = Arc::new(SequentialIds::new());
    assert_eq!(clock.now_unix_ms(), 1_704_067_200_000);
    assert_eq!(ids.transaction_id(), "tx-000001");
}

#[test]
fn byte_writer_of_timestamps_matches_display() {
    for ms in [
        0u64,
        1_677_777_105_602,
        951_782_400_000,
        4_102_444_799_999,
        1_704_067_200_000,
    ] {
        let mut out = Vec::new();
        flowc_runtime::Iso8601Ms(ms).write_to(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            flowc_runtime::Iso8601Ms(ms).to_string()
        );
    }
}
