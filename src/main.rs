fn main() -> std::process::ExitCode {
    refbench::cli::main()
}
