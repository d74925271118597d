; Sites `refbench seed` can mutate in Rust code (see docs/seeding.md). The capture names are
; the contract with src/seed/sites.rs: @rmw.* an atomic read-modify-write, @pair.* two lock
; guards taken one after the other, @guard.* a guard and the block it holds the lock for,
; @lazy.* a `get_or_init`, @notify.stmt a condition notify, @function / @owner the names a
; site is reported under.

; An atomic read-modify-write: `counter.fetch_add(n, ordering)`.
((call_expression
   function: (field_expression
     value: (_) @rmw.receiver
     field: (field_identifier) @rmw.method)
   arguments: (arguments . (_) @rmw.operand . (_) @rmw.ordering .)) @rmw.call
 (#match? @rmw.method "^fetch_(add|sub)$"))

; Two guards taken one right after the other in the same block.
((block
   (let_declaration value: (_) @pair.first_value) @pair.first
   .
   (let_declaration value: (_) @pair.second_value) @pair.second)
 (#match? @pair.first_value "(^|::)(lock|write)\\(|\\.(lock|write)\\(\\)")
 (#match? @pair.second_value "(^|::)(lock|write)\\(|\\.(lock|write)\\(\\)"))

; A guard: the lock is held from its `let` to the end of the block.
((block
   (let_declaration pattern: (_) @guard.name value: (_) @guard.value) @guard.let) @guard.block
 (#match? @guard.value "(^|::)(lock|write)\\(|\\.(lock|write)\\(\\)"))

; A lazy initialisation through a once-cell.
((call_expression
   function: (field_expression
     value: (_) @lazy.cell
     field: (field_identifier) @lazy.method)
   arguments: (arguments . (_) @lazy.init .)) @lazy.call
 (#eq? @lazy.method "get_or_init"))

; A statement that only wakes waiters.
((expression_statement
   (call_expression
     function: (field_expression field: (field_identifier) @notify.method))) @notify.stmt
 (#match? @notify.method "^notify_(one|all)$"))

(function_item name: (identifier) @function.name) @function
(impl_item type: (_) @owner.name) @owner
