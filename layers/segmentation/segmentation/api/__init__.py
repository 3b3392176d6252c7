"""HTTP adapters shared by the handlers: the resolver, error mapping and schemas."""
