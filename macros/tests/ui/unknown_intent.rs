// E028: the start block handles `CancelBooking`, which is not declared under `intents:`.
flowc_macros::flow!(yaml = r#"
flow: booking_assistant
intents:
  BookTable: ["book a table"]
dialogs:
  main:
    start:
      say: "Welcome to the booking line. Book or cancel?"
      on: { BookTable: booked, CancelBooking: cancelled }
    blocks:
      booked:
        end: { say: "Your table is booked. Goodbye!" }
      cancelled:
        end: { say: "Your booking is cancelled. Goodbye!" }
"#);

fn main() {}
