//! The resource server side (RFC 6750): see the module documentation once written.
