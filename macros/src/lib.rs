//! `flow!` — compiles a YAML dialog flow inside a Rust crate (arrives with code generation).
