// A flow with an error and a warning: the error is a compile error, the warning stays a warning.
flowc_macros::flow!(yaml = r#"
flow: hotline
intents:
  Bye: [bye]
  Complaint: [complain]
dialogs:
  main:
    start:
      say: Hi
      on: { Bye: bye }
      else: nowhere
    blocks:
      bye:
        end: {}
"#);

fn main() {}
