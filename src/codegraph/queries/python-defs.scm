; Python definitions. Each pattern captures the whole statement as @def.KIND and its name as @name.
(function_definition name: (identifier) @name) @def.function
(class_definition name: (identifier) @name) @def.class
; Module-level assignments (constants, aliases, singletons).
(module (expression_statement (assignment left: (identifier) @name)) @def.constant)
