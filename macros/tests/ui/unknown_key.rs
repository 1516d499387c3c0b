// `file = …` is not a key of the macro; a path is given as a bare string.
flowc_macros::flow!(file = "flows/parcel.yaml");

fn main() {}
