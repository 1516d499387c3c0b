//! The model user of flowc: its build script compiles every flow in `flows/` with `flowc::Builder`, and the
//! modules are included here. The crate denies warnings, so every generated module compiles warning-free.

#![deny(warnings)]

pub mod conversations;
pub mod textchat;

flowc_runtime::include_flow!("appointment_booking");
flowc_runtime::include_flow!("dispatch_heavy");
flowc_runtime::include_flow!("minimal");
flowc_runtime::include_flow!("parcel_tracking");
flowc_runtime::include_flow!("support_chat");
// By file stem: the flow in `fixtures/builder/greeter_bot.yaml` is named `greeter`.
flowc_runtime::include_flow!("greeter_bot");
