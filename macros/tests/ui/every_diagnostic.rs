// Three typos, three errors at once: `sya` for `say` (E002), a goto to the unknown block `lookpu` (E010)
// and a prompt reading the undeclared `parcelState` (E022).
flowc_macros::flow!(yaml = r#"
flow: parcel_support
variables:
  trackingNumber: session
  parcelStatus: session
services:
  lookupParcel: { inputs: [trackingNumber], outputs: [parcelStatus], branches: [found, notFound] }
intents:
  TrackParcel: ["where is my parcel"]
  ProvideNumber: []
dialogs:
  main:
    start:
      say: "Welcome to the parcel service. How can I help?"
      on: { TrackParcel: askNumber }
    blocks:
      askNumber:
        state:
          sya: "What is your tracking number?"
          on:
            ProvideNumber: { set: { trackingNumber: "{{ slots.number }}" }, goto: lookpu }
          dtmf: { match: "[0-9]{8,}", set: { trackingNumber: "{{ dtmf }}" }, goto: lookup }
      lookup:
        service: lookupParcel
        on: { found: tellStatus, notFound: askNumber, error: apologize }
      tellStatus:
        end: { say: "Your parcel is {{ parcelState }}. Goodbye!" }
      apologize:
        end: { say: "Sorry, something went wrong. Goodbye!" }
"#);

fn main() {}
