//! Regenerates `native/include/spark_rest.h` from `src/c_api.rs` with
//! cbindgen, so the checked-in header can never drift from the code.
//! `make check-header` fails the build when the checked-in copy is stale.

fn main() {
    println!("cargo:rerun-if-changed=src/c_api.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let out = std::path::Path::new(&crate_dir).join("../include/spark_rest.h");
    let config =
        cbindgen::Config::from_file(std::path::Path::new(&crate_dir).join("cbindgen.toml"))
            .unwrap_or_default();
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(out);
        }
        Err(e) => println!("cargo:warning=cbindgen could not generate spark_rest.h: {e}"),
    }
}
