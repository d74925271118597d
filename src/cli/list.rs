//! `refbench list tasks`, `list bugs` and `list fixtures`: the catalog as tab-separated tables.
//!
//! In: the loaded catalog. Out: one line per task (id, language, test counts, bugs, title or
//! the impossible variant's reason), per seeded bug (id, kind, file, description) or per
//! fixture (name, language, tasks, bugs, the tree in use) on stdout, and, for tasks, a warning on stderr for each FAIL_TO_PASS / PASS_TO_PASS id that no
//! test file defines (`codegraph::declared`, found without running anything).

use crate::catalog::{Catalog, TaskVariant};
use crate::report;

/// Prints the tasks table and the undeclared-test warnings.
pub(super) fn print_tasks(catalog: &Catalog) {
    let mut table = report::Table::headless(vec![report::Align::Left; 5]);
    for t in catalog.tasks.values() {
        let bugs: Vec<&str> = t.seeded_bugs.iter().map(|b| b.0.as_str()).collect();
        table.push(vec![
            t.id.to_string(),
            t.language.to_string(),
            format!("{} F2P, {} P2P", t.fail_to_pass.len(), t.pass_to_pass.len()),
            format!("bugs: {}", bugs.join(",")),
            match &t.variant {
                TaskVariant::Impossible(v) => format!("impossible variant: {}", v.why),
                TaskVariant::Standard => t.title.clone(),
            },
        ]);
    }
    print!("{}", table.tsv());
    for t in catalog.tasks.values() {
        for u in crate::codegraph::declared::undeclared_tests(t) {
            eprintln!(
                "warning: {}: {} lists unknown test {}: {}",
                t.id, u.list, u.id, u.why
            );
        }
    }
}

/// Prints the seeded bugs table.
pub(super) fn print_bugs(catalog: &Catalog) {
    let mut table = report::Table::headless(vec![report::Align::Left; 4]);
    for b in catalog.bugs.values() {
        table.push(vec![
            b.id.to_string(),
            b.kind.to_string(),
            b.file.clone(),
            b.description.clone(),
        ]);
    }
    print!("{}", table.tsv());
}

/// Prints the fixtures table: name, language, tasks as written (and impossible variants),
/// seeded bugs, and the tree every stage reads (an upstream fixture's is in the cache).
pub(super) fn print_fixtures(catalog: &Catalog) {
    let mut table = report::Table::headless(vec![report::Align::Left; 5]);
    for (name, tree) in &catalog.fixtures {
        let tasks: Vec<_> = catalog
            .tasks
            .values()
            .filter(|t| t.fixture == *name)
            .collect();
        let variants = tasks.iter().filter(|t| t.is_impossible()).count();
        let language = tasks
            .first()
            .map(|t| t.language)
            .unwrap_or_else(|| crate::lang::fixture_language(tree));
        let bugs = catalog.bugs.values().filter(|b| b.fixture == *name).count();
        table.push(vec![
            name.clone(),
            language.to_string(),
            format!("{} tasks (+{variants} impossible)", tasks.len() - variants),
            format!("{bugs} bugs"),
            tree.display().to_string(),
        ]);
    }
    print!("{}", table.tsv());
}
