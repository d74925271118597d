; Rust references. @ref.KIND marks the use, @name the identifier it names.
(call_expression function: (identifier) @name) @ref.call
(call_expression function: (scoped_identifier name: (identifier) @name)) @ref.call
(call_expression function: (field_expression field: (field_identifier) @name)) @ref.call
(call_expression function: (generic_function function: (identifier) @name)) @ref.call
(call_expression function: (generic_function function: (scoped_identifier name: (identifier) @name))) @ref.call
(call_expression function: (generic_function function: (field_expression field: (field_identifier) @name))) @ref.call
(macro_invocation macro: (identifier) @name) @ref.call
; `Type::assoc` and struct literals name a type.
(scoped_identifier path: (identifier) @name) @ref.type
(struct_expression name: (type_identifier) @name) @ref.type
(type_identifier) @name @ref.type
; `impl Trait for Type`.
(impl_item trait: (type_identifier) @name) @ref.impl
(impl_item trait: (scoped_type_identifier name: (type_identifier) @name)) @ref.impl
(impl_item trait: (generic_type type: (type_identifier) @name)) @ref.impl
(impl_item trait: (generic_type type: (scoped_type_identifier name: (type_identifier) @name))) @ref.impl
; Imports: `use` trees are expanded in code; `mod name;` (no body) loads a file.
(use_declaration argument: (_) @path) @import.use
(mod_item name: (identifier) @name !body) @import.mod
; Paths in expressions and types (`crate::a::f()`, `super::T`), resolved like `use`.
(scoped_identifier) @path @ref.path
(scoped_type_identifier) @path @ref.path
