// The file does not exist: the error names the path as written, not the absolute one.
flowc_macros::flow!("flows/no_such_flow.yaml");

fn main() {}
