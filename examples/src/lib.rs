//! Shared bits for the example programs in `src/bin/`.
