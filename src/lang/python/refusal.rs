//! Python's refusal rules: what an edit of a Python fixture may not add or change.
//!
//! In: one changed path (relative, `/`-separated), what the edit did to it, and whether the
//! edited tree has a file at a path. Out: the [`RefusalReason`] when the clean room grades the
//! base's version instead, else `None`.
//!
//! - pytest's configuration, in any folder (pytest looks for it in the folders of the tests and
//!   above, and loads every `conftest.py` on the way): any change is refused, the simplest
//!   sound rule, since an `addopts` or a plugin line changes what runs;
//! - code the interpreter runs at start-up (`sitecustomize.py`, `usercustomize.py`, `*.pth`)
//!   and compiled bytecode (`__pycache__/`, `*.pyc`: Python loads it in place of a source
//!   whose size and time it claims to match), in any folder;
//! - `.python-version`;
//! - new modules that would shadow one the grader imports: a top-level module (at any import
//!   root: the repository, and any folder that is not a package, since pytest puts the first
//!   such folder above each test file on `sys.path`) named like the standard library
//!   ([`STDLIB_MODULES`]) or the test runner and its dependencies ([`GRADER_MODULES`]).
//!   Changing an existing module of that name is the fixture's own business.

use super::super::refusal::{file_name, PathChange, RefusalReason};

/// pytest's configuration files: any of them in any folder may configure the run.
const TEST_CONFIG: &[&str] = &[
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    "tox.ini",
    "setup.cfg",
    "pyproject.toml",
];

/// Files the interpreter itself runs at start-up.
const STARTUP_CODE: &[&str] = &["sitecustomize.py", "usercustomize.py"];

/// The test runner and what it imports (harness/python/requirements.txt and their
/// dependencies).
pub const GRADER_MODULES: &[&str] = &[
    "pytest",
    "_pytest",
    "py",
    "pluggy",
    "iniconfig",
    "packaging",
    "exceptiongroup",
    "tomli",
];

/// The standard library's top-level module names, as CPython 3.11 lists them
/// (`sys.stdlib_module_names`).
pub const STDLIB_MODULES: &[&str] = &[
    "__future__",
    "_abc",
    "_aix_support",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bootsubprocess",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_ctypes",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_functools",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_imp",
    "_io",
    "_json",
    "_locale",
    "_lsprof",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_multiprocessing",
    "_opcode",
    "_operator",
    "_osx_support",
    "_overlapped",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_py_abc",
    "_pydecimal",
    "_pyio",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_signal",
    "_sitebuiltins",
    "_socket",
    "_sqlite3",
    "_sre",
    "_ssl",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_thread",
    "_threading_local",
    "_tkinter",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_winapi",
    "_zoneinfo",
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Extensions of files Python imports as a module.
const IMPORTABLE: &[&str] = &["py", "pyc", "pyo", "so", "pyd"];

/// See the module docs.
pub(super) fn refused_change(
    path: &str,
    change: PathChange,
    has_file: &dyn Fn(&str) -> bool,
) -> Option<RefusalReason> {
    let name = file_name(path);
    if TEST_CONFIG.contains(&name) {
        return Some(RefusalReason::TestConfig);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e);
    if STARTUP_CODE.contains(&name)
        || extension == Some("pth")
        || matches!(extension, Some("pyc" | "pyo"))
        || path.split('/').any(|p| p == "__pycache__")
    {
        return Some(RefusalReason::ShadowingModule);
    }
    if name == ".python-version" {
        return Some(RefusalReason::Toolchain);
    }
    if change == PathChange::Added && shadows_a_grader_module(path, has_file) {
        return Some(RefusalReason::ShadowingModule);
    }
    None
}

/// Whether the new file at `path` is, or is inside, a top-level module named like one the
/// grader imports.
fn shadows_a_grader_module(path: &str, has_file: &dyn Fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let name = parts[parts.len() - 1];
    let Some((stem, extension)) = name.split_once('.') else {
        return false;
    };
    let extension = extension.rsplit('.').next().unwrap_or(extension);
    if !IMPORTABLE.contains(&extension) {
        return false;
    }
    // The import root: up from the file's folder while the folder is a package.
    let mut root = parts.len() - 1;
    while root > 0 && has_file(&format!("{}/__init__.py", parts[..root].join("/"))) {
        root -= 1;
    }
    let top = if root == parts.len() - 1 {
        stem
    } else {
        parts[root]
    };
    is_grader_module(top)
}

/// Whether `module` is a top-level name the grader imports.
pub fn is_grader_module(module: &str) -> bool {
    GRADER_MODULES.contains(&module) || STDLIB_MODULES.binary_search(&module).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn pytest_configuration_is_refused_in_any_folder_whatever_the_change() {
        for path in [
            "conftest.py",
            "pkg/sub/conftest.py",
            "tests/pytest.ini",
            "pyproject.toml",
            "a/setup.cfg",
            "tox.ini",
        ] {
            for change in [PathChange::Added, PathChange::Modified, PathChange::Deleted] {
                assert_eq!(
                    refused_change(path, change, &none),
                    Some(RefusalReason::TestConfig),
                    "{path}"
                );
            }
        }
    }

    #[test]
    fn startup_code_and_bytecode_are_refused_in_any_folder() {
        for path in [
            "sitecustomize.py",
            "pkg/usercustomize.py",
            "x.pth",
            "deep/er/evil.pth",
            "pkg/__pycache__/m.cpython-311.pyc",
            "m.pyc",
        ] {
            assert_eq!(
                refused_change(path, PathChange::Modified, &none),
                Some(RefusalReason::ShadowingModule),
                "{path}"
            );
        }
        assert_eq!(
            refused_change(".python-version", PathChange::Added, &none),
            Some(RefusalReason::Toolchain)
        );
    }

    #[test]
    fn new_top_level_modules_named_like_the_graders_are_refused_at_every_import_root() {
        // pkg is a package, so pkg/threading.py is pkg.threading: no shadow.
        // (The edited tree holds the new files too.)
        let tree = |p: &str| {
            [
                "pkg/__init__.py",
                "pkg/sub/__init__.py",
                "pytest/__init__.py",
                "_pytest/__init__.py",
                "detectors/random/__init__.py",
            ]
            .contains(&p)
        };
        let refused = |p: &str| refused_change(p, PathChange::Added, &tree);
        assert_eq!(
            refused("threading.py"),
            Some(RefusalReason::ShadowingModule)
        );
        assert_eq!(
            refused("pytest/__init__.py"),
            Some(RefusalReason::ShadowingModule)
        );
        assert_eq!(
            refused("_pytest/main.py"),
            Some(RefusalReason::ShadowingModule)
        );
        assert_eq!(refused("py.py"), Some(RefusalReason::ShadowingModule));
        assert_eq!(
            refused("json.cpython-311-x86_64-linux-gnu.so"),
            Some(RefusalReason::ShadowingModule)
        );
        // A folder that is not a package is an import root of its own.
        assert_eq!(
            refused("scripts/queue.py"),
            Some(RefusalReason::ShadowingModule)
        );
        assert_eq!(
            refused("detectors/random/__init__.py"),
            Some(RefusalReason::ShadowingModule)
        );
        assert_eq!(refused("pkg/threading.py"), None);
        assert_eq!(refused("pkg/sub/json.py"), None);
        assert_eq!(refused("pkg/token_service.py"), None);
        // A folder without __init__.py is a namespace package, which never wins over a
        // module: its files are top-level modules of their own.
        assert_eq!(refused("docs/conf.py"), None);
        assert_eq!(refused("threading.txt"), None);
        // Changing a module the fixture already has is its own business.
        assert_eq!(
            refused_change("threading.py", PathChange::Modified, &tree),
            None
        );
    }

    #[test]
    fn the_stdlib_list_is_sorted_for_binary_search() {
        assert!(STDLIB_MODULES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            is_grader_module("threading") && is_grader_module("os") && is_grader_module("pluggy")
        );
        assert!(!is_grader_module("pyshop"));
    }
}
