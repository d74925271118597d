//! Rust's refusal rules: what an edit of a Rust fixture may not add or change.
//!
//! In: one changed path (relative, `/`-separated) and what the edit did to it. Out: the
//! [`RefusalReason`] when the clean room grades the base's version instead, else `None`.
//!
//! Everything that decides what cargo builds and with which compiler, in any folder, whatever
//! the change: cargo configuration (`.cargo/`: a test runner, a `rustc-wrapper`, `[patch]`),
//! build scripts (`build.rs` runs at build time, can rewrite the hidden tests or the copied
//! detector before they compile, and can plant a fake crate in the shared build slot even when
//! it fails), manifests and lock files (`Cargo.toml`: `[patch]`, a `build` key, a path
//! dependency on a fake `shuttle`; `Cargo.lock`: another version from the registry), and
//! toolchain files (`rust-toolchain`, `rust-toolchain.toml`).

use super::super::refusal::{file_name, PathChange, RefusalReason};

/// See the module docs.
pub(super) fn refused_change(path: &str, _change: PathChange) -> Option<RefusalReason> {
    let name = file_name(path);
    if path.split('/').any(|p| p == ".cargo")
        || matches!(name, "build.rs" | "Cargo.toml" | "Cargo.lock")
    {
        return Some(RefusalReason::BuildConfig);
    }
    matches!(name, "rust-toolchain" | "rust-toolchain.toml").then_some(RefusalReason::Toolchain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_configuration_and_toolchain_files_are_refused_in_any_folder() {
        for path in [
            ".cargo/config.toml",
            ".cargo/config",
            "sub/.cargo/config.toml",
            "build.rs",
            "crates/x/build.rs",
            "Cargo.toml",
            "vendor/shuttle/Cargo.toml",
            "Cargo.lock",
        ] {
            for change in [PathChange::Added, PathChange::Modified, PathChange::Deleted] {
                assert_eq!(
                    refused_change(path, change),
                    Some(RefusalReason::BuildConfig),
                    "{path}"
                );
            }
        }
        assert_eq!(
            refused_change("rust-toolchain", PathChange::Added),
            Some(RefusalReason::Toolchain)
        );
        assert_eq!(
            refused_change("rust-toolchain.toml", PathChange::Modified),
            Some(RefusalReason::Toolchain)
        );
        assert_eq!(refused_change("src/lib.rs", PathChange::Modified), None);
        assert_eq!(refused_change("src/builder.rs", PathChange::Added), None);
        assert_eq!(refused_change("src/cargo_toml.rs", PathChange::Added), None);
    }
}
