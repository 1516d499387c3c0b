//! The model user of flowc: its build script compiles the flows in `flows/`, its tests play every
//! conversation script through the generated engine and the interpreter.
