// E017: `countTry` (set) and `checkTries` (condition) form a cycle that never waits for the caller.
flowc_macros::flow!(yaml = r#"
flow: parcel_support
variables:
  attempts: session
intents:
  TrackParcel: ["where is my parcel"]
dialogs:
  main:
    start:
      say: "Welcome to the parcel service. How can I help?"
      on: { TrackParcel: countTry }
    blocks:
      countTry:
        set: { attempts: "{{ attempts }}1" }
        goto: checkTries
      checkTries:
        condition:
          - when: 'attempts == "111"'
            goto: goodbye
          - else: countTry
      goodbye:
        end: { say: "Please try again later. Goodbye!" }
"#);

fn main() {}
