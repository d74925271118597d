//! Process-wide session registry.
//!
//! Historically the service ran exactly one `SessionStore` per process and the
//! handlers reach it through [`global`]. Tools that need a fresh store (the
//! replay tool, some benchmarks) swap it with [`install`].

use crate::sessions::SessionStore;
use crate::sync::{self, Arc, RwLock};

static REGISTRY: RwLock<Option<Arc<SessionStore>>> = RwLock::new(None);

/// The session store every handler uses. Created on first use.
pub fn global() -> Arc<SessionStore> {
    if let Some(store) = sync::read(&REGISTRY, "session registry").as_ref() {
        return Arc::clone(store);
    }
    let mut slot = sync::write(&REGISTRY, "session registry");
    Arc::clone(slot.get_or_insert_with(|| Arc::new(SessionStore::new())))
}

/// Replace the global store, returning the previous one.
pub fn install(store: Arc<SessionStore>) -> Option<Arc<SessionStore>> {
    sync::write(&REGISTRY, "session registry").replace(store)
}
