//! Heap bytes one idle conversation of the parcel flow holds in the in-memory store, counted with a counting
//! allocator, variable values excluded.

use flowc_runtime::{CallMeta, Engine, Flow, PhoneEvent, PhoneRequest};
use flowc_tests::parcel_tracking;
use perf_monitor::mem::CountingAllocator;

const CONVERSATIONS: usize = 2_000;

struct Never;

impl parcel_tracking::Services for Never {
    fn lookup_parcel(
        &self,
        _: parcel_tracking::LookupParcelInput<'_>,
        _: &flowc_runtime::TurnContext,
    ) -> Result<parcel_tracking::LookupParcelOutput, flowc_runtime::ServiceError> {
        Err(flowc_runtime::ServiceError::new("not in the benchmark"))
    }
    fn close_ticket(
        &self,
        _: parcel_tracking::CloseTicketInput<'_>,
        _: &flowc_runtime::TurnContext,
    ) -> Result<parcel_tracking::CloseTicketOutput, flowc_runtime::ServiceError> {
        Err(flowc_runtime::ServiceError::new("not in the benchmark"))
    }
}

/// Net heap bytes per conversation after a WELCOME, minus the bytes of variable values.
pub fn idle_conversation_bytes() -> usize {
    let engine = Engine::new(parcel_tracking::Flow::new(Never))
        .deterministic()
        .with_sink(flowc_runtime::DiscardSink);
    let requests: Vec<PhoneRequest> = (0..CONVERSATIONS)
        .map(|i| {
            let session = format!("call-{i:06}");
            PhoneRequest::event(
                CallMeta {
                    call_id: Some(session.clone()),
                    caller_id: Some("+4915100000001".into()),
                    session_id: Some(session),
                    ..CallMeta::default()
                },
                PhoneEvent::Welcome,
            )
        })
        .collect();
    CountingAllocator::reset();
    CountingAllocator::enable();
    let mut value_bytes = 0usize;
    let mut buffer = flowc_runtime::TurnBuffer::new();
    let empty = engine.flow().new_vars();
    let defaults: usize = [
        &empty.tracking_number,
        &empty.parcel_status,
        &empty.delivery_date,
        &empty.crm_ticket_id,
    ]
    .iter()
    .map(|v| v.capacity())
    .sum();
    for request in &requests {
        engine.play_phone(request, &mut buffer).expect("welcome");
        value_bytes += defaults;
    }
    drop(buffer);
    // The sink keeps nothing, so what stays allocated is the store (the turn buffer was dropped above).
    let held = CountingAllocator::get_allocated();
    CountingAllocator::disable();
    let per_conversation = held.max(0) as usize / CONVERSATIONS;
    per_conversation.saturating_sub(value_bytes / CONVERSATIONS)
}
