//! The parcel bot served to Parloa: the generated engine of `flows/parcel_tracking.yaml` behind the
//! dialoghook server (the runtime's `server` feature), the way a team's own crate would run it.
//!
//! ```sh
//! cargo run -p flowc-tests --example parcel_server          # loopback only, no token
//! PARLOA_TOKEN=s3cret cargo run -p flowc-tests --example parcel_server   # 0.0.0.0:8080, bearer token
//! FLOWC_REDIS=redis://127.0.0.1:6379/ cargo run -p flowc-tests --example parcel_server  # calls in Redis
//! curl -s 'http://127.0.0.1:8080/dialoghook?dialog=parcel-tracking-2026.11&platform=phoneV2' \
//!   -H 'Content-Type: application/json' -d '{"callMeta":{"sessionId":"call-1"},"event":"WELCOME"}'
//! ```
//!
//! Transactions are printed as JSON lines on stdout; SIGTERM or ctrl-c stops it gracefully. With
//! `FLOWC_REDIS` (the runtime's `redis` feature) conversations live in that Redis, so that several copies of
//! this server behind one load balancer can each take any turn.

use std::sync::Arc;

use flowc_runtime::server::Server;
use flowc_runtime::{
    Engine, JsonLinesSink, RedisConfig, RedisSessionStore, ServiceError, TurnContext,
};
use flowc_tests::parcel_tracking::{self, *};

fn main() -> std::io::Result<()> {
    // The flow is shared with the Redis store, which reads and writes its variables.
    let flow = Arc::new(parcel_tracking::Flow::new(Backend));
    let engine = Engine::new(Arc::clone(&flow)).with_sink(JsonLinesSink::stdout());
    let release = engine.release().to_owned();
    let mut server = Server::new();
    server = match std::env::var("FLOWC_REDIS") {
        Ok(url) => {
            let config = RedisConfig::new(url, format!("flowc:{release}:"));
            let store = RedisSessionStore::new(config, flow).map_err(std::io::Error::other)?;
            let users = store.user_store();
            server.release(engine.with_store(store).with_user_store(users))
        }
        Err(_) => server.release(engine),
    };
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
