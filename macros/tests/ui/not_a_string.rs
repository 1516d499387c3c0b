// The macro takes a string literal (a path) or `yaml = "…"`.
flowc_macros::flow!(flows::parcel);

fn main() {}
