//! The hand-written JSON of requests equals serde's, on the real phoneV2 sample and on odd values.

use flowc_runtime::{CallMeta, PhoneRequest};

#[test]
fn phone_requests_are_written_like_serde_writes_them() {
    let sample: serde_json::Value =
        serde_json::from_str(include_str!("data/phonev2-transaction-sample.json")).expect("sample");
    let mut requests: Vec<PhoneRequest> =
        vec![serde_json::from_value(sample[0]["request"].clone()).expect("request")];
    let mut odd: PhoneRequest = serde_json::from_str(
        r#"{"callMeta":{"callerId":"+49 \"quoted\"\n","production":true},"event":"DTMF","collectedDtmf":"12\\34","text":"tab\there"}"#,
    )
    .expect("odd request");
    requests.push(odd.clone());
    odd.call_meta = CallMeta::default();
    requests.push(odd);
    for request in requests {
        let mut out = Vec::new();
        flowc_runtime::__private::json::phone_request(&mut out, &request);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&request).unwrap()
        );
        let mut meta = Vec::new();
        flowc_runtime::__private::json::call_meta(&mut meta, &request.call_meta, false);
        assert_eq!(meta, serde_json::to_vec(&request.call_meta).unwrap());
    }
}
