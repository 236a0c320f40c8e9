//! Links the kernel with `linker/kernel.ld` when it is built for the target.

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../linker/kernel.ld");
    println!("cargo:rerun-if-changed={script}");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("aarch64") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
