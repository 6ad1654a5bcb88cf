//! End-to-end tests only (`tests/`): the functions' handlers over the AWS adapters against
//! moto's server, anchoring against the chain stand-in. Run by `tests/run-all.sh`.
#![warn(missing_docs)]
