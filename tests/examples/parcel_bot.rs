//! A team's parcel bot end to end, the way a user crate would run it:
//!
//! - `build.rs` compiled `flows/parcel_tracking.yaml` with `flowc::Builder` (see this crate's build script);
//! - `src/lib.rs` included it with `flowc_runtime::include_flow!("parcel_tracking")`;
//! - here we implement the flow's typed services trait, feed Parloa phoneV2 requests to the engine, and read
//!   the analytics transactions (printed as JSON lines on stdout; the dialog goes to stderr).
//!
//! Run it with `cargo run -p flowc-tests --example parcel_bot`.

use flowc_runtime::{Engine, JsonLinesSink, ServiceError, TurnContext};
use flowc_tests::parcel_tracking::{
    self, CloseTicketBranch, CloseTicketInput, CloseTicketOutput, LookupParcelBranch,
    LookupParcelInput, LookupParcelOutput,
};

/// The team's backend: in real life an HTTP client, here a small table.
struct Backend;

impl parcel_tracking::Services for Backend {
    fn lookup_parcel(
        &self,
        input: LookupParcelInput<'_>,
        _context: &TurnContext,
    ) -> Result<LookupParcelOutput, ServiceError> {
        let mut answer = match input.tracking_number {
            "12345678" => {
                let mut a = LookupParcelOutput::new(LookupParcelBranch::InTransit);
                a.parcel_status = Some("on the truck".into());
                a.delivery_date = Some("tomorrow".into());
                a
            }
            "87654321" => LookupParcelOutput::new(LookupParcelBranch::Delivered),
            "00000000" => {
                return Err(ServiceError::with_status(
                    "tracking backend timed out",
                    "timeout",
                ));
            }
            _ => LookupParcelOutput::new(LookupParcelBranch::NotFound),
        };
        answer.crm_ticket_id = Some(format!("T-{}", input.tracking_number));
        Ok(answer)
    }

    fn close_ticket(
        &self,
        _input: CloseTicketInput<'_>,
        _context: &TurnContext,
    ) -> Result<CloseTicketOutput, ServiceError> {
        Ok(CloseTicketOutput::new(CloseTicketBranch::Closed))
    }
}

fn main() {
    let engine = Engine::new(parcel_tracking::Flow::new(Backend))
        .with_sink(JsonLinesSink::stdout())
        .deterministic();
    let call = r#""callMeta":{"instanceId":"demo","callId":"call-1","callerId":"+4915100000001","sessionId":"call-1","customerId":"parcel-express","production":false,"isPrivacyEnabled":false}"#;
    let requests = [
        format!(r#"{{{call},"event":"WELCOME"}}"#),
        format!(r#"{{{call},"text":"where is my parcel","intent":{{"name":"TrackParcel"}}}}"#),
        format!(r#"{{{call},"event":"DTMF","collectedDtmf":"12345678"}}"#),
        format!(r#"{{{call},"text":"no thanks","intent":{{"name":"Deny"}}}}"#),
        format!(r#"{{{call},"event":"HANGUP"}}"#),
    ];
    for request in &requests {
        match engine.handle_phone_json(request) {
            Ok(turn) => eprintln!(
                "caller: {:<28} bot: {}",
                turn.transaction.intent.name, turn.response.prompt
            ),
            Err(error) => eprintln!("refused: {error}"),
        }
    }
    if let Err(error) = engine.flush() {
        eprintln!("could not write transactions: {error}");
        std::process::exit(1);
    }
}
