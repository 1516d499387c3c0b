//! The macro's passing side: both forms expand to a module that plays through `flowc_runtime::Engine`.

use flowc_runtime::{
    CallMeta, DynamicServices, Engine, IntentGuess, PhoneEvent, PhoneRequest, ServiceError,
    ServiceReply, TurnContext,
};

flowc_macros::flow!(
    yaml = r#"
flow: order_line
platforms: [phoneV2]

variables:
  orderNumber: { lifetime: session, default: "A-17" }
  orderStatus: session

intents:
  Status: ["where is my order"]

services:
  lookupOrder:
    inputs: [orderNumber]
    outputs: [orderStatus]
    branches: [found, missing]

dialogs:
  main:
    start:
      name: Conversation start
      say: "Welcome to the order line. Ask me about your order."
      on: { Status: lookup }
      else: goodbye
    blocks:
      lookup:
        service: lookupOrder
        on: { found: tell, missing: unknown, error: goodbye }
      tell:
        end: { say: "Order {{ orderNumber }} is {{ orderStatus }}. Goodbye!" }
      unknown:
        end: { say: "I could not find order {{ orderNumber }}. Goodbye!" }
      goodbye:
        end: { say: "Goodbye!" }
"#
);

flowc_macros::flow!("tests/flows/ok.yaml");

fn meta() -> CallMeta {
    flowc_runtime::testing::call_meta("session-1", "+490000000")
}

fn welcome() -> PhoneRequest {
    PhoneRequest::event(meta(), PhoneEvent::Welcome)
}

fn said(intent: &str) -> PhoneRequest {
    PhoneRequest {
        event: None,
        text: Some("where is my order".into()),
        intent: Some(IntentGuess::named(intent)),
        ..PhoneRequest::event(meta(), PhoneEvent::Welcome)
    }
}

/// The inline flow's services, implemented through its typed trait.
struct Orders;

impl order_line::Services for Orders {
    fn lookup_order(
        &self,
        input: order_line::LookupOrderInput<'_>,
        _context: &TurnContext,
    ) -> Result<order_line::LookupOrderOutput, ServiceError> {
        assert_eq!(input.order_number, "A-17");
        let mut output = order_line::LookupOrderOutput::new(order_line::LookupOrderBranch::Found);
        output.order_status = Some("on its way".into());
        Ok(output)
    }
}

#[test]
fn inline_flow_plays_welcome_and_calls_its_service() {
    let engine = Engine::new(order_line::Flow::new(Orders)).deterministic();
    let turn = engine.handle_phone(welcome()).unwrap();
    assert_eq!(
        turn.response.prompt,
        "Welcome to the order line. Ask me about your order."
    );
    assert!(!turn.response.end_talk);

    let turn = engine.handle_phone(said("Status")).unwrap();
    assert_eq!(turn.response.prompt, "Order A-17 is on its way. Goodbye!");
    assert!(turn.response.end_talk);
}

/// Services called by name serve the file flow through `flowc_runtime::Dynamic`.
struct Stub;

impl DynamicServices for Stub {
    fn call(
        &self,
        service: &str,
        _inputs: &[(&str, &str)],
        _context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        assert_eq!(service, "lookupOrder");
        Ok(ServiceReply {
            branch: "found".into(),
            outputs: vec![("orderStatus".into(), "delivered".into())],
        })
    }
}

#[test]
fn file_flow_plays_welcome_and_calls_its_service() {
    let engine = Engine::new(ok_flow::Flow::new(flowc_runtime::Dynamic(Stub))).deterministic();
    let turn = engine.handle_phone(welcome()).unwrap();
    assert_eq!(
        turn.response.prompt,
        "Welcome to the order line. Ask me about your order."
    );
    let json = serde_json::to_value(&turn.transaction).unwrap();
    assert_eq!(json["intent"]["name"], "PARLOA.Welcome", "{json:#}");

    let turn = engine.handle_phone(said("Status")).unwrap();
    assert_eq!(turn.response.prompt, "Your order is delivered. Goodbye!");
}
