#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages for refbench's own memory: mimalloc asks for them, and the
    // kernel then zeroes 2 MiB per first touch; a cold pack of a large tree spent a tenth of
    // its CPU there (0.3 s of 3.6 s wall on the Rust bench tree). The flag is inherited, so
    // the sandbox clears it again for the commands it runs.
    // SAFETY: a prctl on this process with constant arguments.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    refbench::cli::main()
}
