; Python references. @ref.KIND marks the use, @name the identifier it names.
(call function: (identifier) @name) @ref.call
(call function: (attribute attribute: (identifier) @name)) @ref.call
(decorator (identifier) @name) @ref.call
(decorator (attribute attribute: (identifier) @name)) @ref.call
(class_definition superclasses: (argument_list (identifier) @name)) @ref.base
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @name))) @ref.base
(except_clause (identifier) @name) @ref.type
(except_clause (attribute attribute: (identifier) @name)) @ref.type
; Annotations: every identifier inside a `type` node is collected in code.
(type) @ref.annotation
; Names passed as values: isinstance(x, Cls), register(Handler).
(argument_list (identifier) @name) @ref.name
(keyword_argument value: (identifier) @name) @ref.name
; Imports: module paths and names are read from the node in code.
(import_statement) @import.python
(import_from_statement) @import.python
