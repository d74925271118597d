; Sites `refbench seed` can mutate in Python code (see docs/seeding.md). The capture names are
; the contract with src/seed/sites.rs: @lock.* a critical section, @pair.* two nested lock
; acquisitions, @notify.stmt a condition notify, @function / @owner the names a site is
; reported under. Atomic read-modify-writes (`x += 1`) and lazy initialisations
; (`if x is None: x = ...`) are lock scopes whose statements say so.

; A critical section: `with <lock-like object>:` and its statements.
((with_statement
   (with_clause) @lock.header
   body: (block) @lock.body) @lock.scope
 (#match? @lock.header "(?i)lock|mutex|cond"))

; A nested pair: a second lock taken as the first statement under a first one.
((with_statement
   (with_clause) @pair.outer_header
   body: (block . (with_statement (with_clause) @pair.inner_header) @pair.inner)) @pair.outer
 (#match? @pair.outer_header "(?i)lock|mutex")
 (#match? @pair.inner_header "(?i)lock|mutex"))

; A statement that only wakes waiters.
((expression_statement
   (call function: (attribute attribute: (identifier) @notify.method))) @notify.stmt
 (#match? @notify.method "^notify(_all)?$"))

(function_definition name: (identifier) @function.name) @function
(class_definition name: (identifier) @owner.name) @owner
