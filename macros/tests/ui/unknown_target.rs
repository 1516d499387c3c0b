// E010: the start block sends `TrackParcel` to `askNumbr`, a block that does not exist.
flowc_macros::flow!(yaml = r#"
flow: parcel_support
intents:
  TrackParcel: ["where is my parcel"]
  ProvideNumber: []
dialogs:
  main:
    start:
      say: "Welcome to the parcel service. How can I help?"
      on: { TrackParcel: askNumbr }
      else: askNumber
    blocks:
      askNumber:
        state:
          say: "What is your tracking number?"
          on: { ProvideNumber: goodbye }
      goodbye:
        end: { say: "Thanks, we will look it up. Goodbye!" }
"#);

fn main() {}
