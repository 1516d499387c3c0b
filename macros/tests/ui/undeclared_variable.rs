// E022: the prompt of `tellStatus` reads `parcelStatus`, which is not a declared variable.
flowc_macros::flow!(yaml = r#"
flow: parcel_support
variables:
  trackingNumber: session
intents:
  ProvideNumber: []
dialogs:
  main:
    start:
      say: "Please tell me your tracking number."
      on:
        ProvideNumber: { set: { trackingNumber: "{{ slots.number }}" }, goto: tellStatus }
    blocks:
      tellStatus:
        end: { say: "Parcel {{ trackingNumber }} is {{ parcelStatus }}. Goodbye!" }
"#);

fn main() {}
