//! The `flowc` binary, end to end: every subcommand in one test binary (one link instead of four), sharing the
//! helpers in `common`.

mod commands;
mod common;
mod scripts;
mod serve;
mod simulator;
