//! Links the component with the user-program layout, `linker/user.ld`.

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../linker/user.ld");
    println!("cargo:rerun-if-changed={script}");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("aarch64") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
