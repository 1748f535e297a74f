//! Compiles the Terraform plugin protocol (tfplugin6) and go-plugin's control services with `protox`,
//! a pure-Rust protobuf compiler, so the build needs no `protoc` binary. Code generation takes a few
//! milliseconds and reruns only when a .proto file changes, so committing the generated code (and a
//! staleness test for it) would buy nothing but a second copy of the protocol to keep in sync.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["tfplugin6.5.proto", "plugin.proto"];
    for f in files {
        println!("cargo:rerun-if-changed=proto/{f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .compile_fds(descriptors)?;
    Ok(())
}
