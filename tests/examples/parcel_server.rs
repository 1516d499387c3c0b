//! The parcel bot served to Parloa: the generated engine of `flows/parcel_tracking.yaml` behind the
//! dialoghook server (the runtime's `server` feature), the way a team's own crate would run it.
//!
//! ```sh
//! cargo run -p flowc-tests --example parcel_server          # loopback only, no token
//! PARLOA_TOKEN=s3cret cargo run -p flowc-tests --example parcel_server   # 0.0.0.0:8080, bearer token
//! curl -s 'http://127.0.0.1:8080/dialoghook?dialog=parcel-tracking-2026.11&platform=phoneV2' \
//!   -H 'Content-Type: application/json' -d '{"callMeta":{"sessionId":"call-1"},"event":"WELCOME"}'
//! ```
//!
//! Transactions are printed as JSON lines on stdout; SIGTERM or ctrl-c stops it gracefully.

use flowc_runtime::server::Server;
use flowc_runtime::{Engine, JsonLinesSink, ServiceError, TurnContext};
use flowc_tests::parcel_tracking::{self, *};

fn main() -> std::io::Result<()> {
    let engine =
        Engine::new(parcel_tracking::Flow::new(Backend)).with_sink(JsonLinesSink::stdout());
    let release = engine.release().to_owned();
    let mut server = Server::new().release(engine);
    if let Ok(token) = std::env::var("PARLOA_TOKEN") {
        // With a token for every release the server may listen beyond this machine.
        server = server
            .token(release, token)
            .listen("0.0.0.0:8080".parse().unwrap());
    }
    server.run()?;
    Ok(())
}

/// The team's backend: in real life an HTTP client (a blocking call is fine: turns run on a thread pool).
struct Backend;

impl parcel_tracking::Services for Backend {
    fn lookup_parcel(
        &self,
        input: LookupParcelInput<'_>,
        _context: &TurnContext,
    ) -> Result<LookupParcelOutput, ServiceError> {
        let mut answer = LookupParcelOutput::new(LookupParcelBranch::InTransit);
        answer.parcel_status = Some("on the truck".into());
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
