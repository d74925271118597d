; Rust definitions. Each pattern captures the whole item as @def.KIND and its name as @name.
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(union_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(trait_item name: (type_identifier) @name) @def.trait
(mod_item name: (identifier) @name) @def.module
(const_item name: (identifier) @name) @def.constant
(static_item name: (identifier) @name) @def.constant
(type_item name: (type_identifier) @name) @def.type
(macro_definition name: (identifier) @name) @def.macro
; An impl block is named by its self type (generics and paths stripped in code).
(impl_item type: (_) @name) @def.impl
