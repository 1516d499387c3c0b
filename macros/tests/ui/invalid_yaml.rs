// E001: the flow mapping `on: {` is never closed.
flowc_macros::flow!(yaml = r#"
flow: parcel_support
intents:
  TrackParcel: ["where is my parcel"]
dialogs:
  main:
    start:
      say: "Welcome to the parcel service."
      on: { TrackParcel: goodbye,
"#);

fn main() {}
