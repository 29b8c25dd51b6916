//! Rebuilds the crate when a migration file or an embedded static file
//! changes: `sqlx::migrate!` embeds `migrations/` at compile time, and
//! cargo does not see those files otherwise. (askama tracks its templates
//! itself; `include_bytes!` tracks the static files too, the line below
//! also catches a new file.)

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=static");
}
