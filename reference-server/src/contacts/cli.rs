//! `reference-server contacts import`: the HTTP import (same validation,
//! same per-row report, same idempotence: it calls [`run_import`]) for
//! files too large to upload comfortably, with a progress bar.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::http::run_import;
use super::import::ColumnMapping;
use super::model::ImportReport;
use crate::AppState;
use crate::domain::{GroupId, TenantId};
use crate::http::AppError;
use crate::http::i18n::{self, Lang, pick, tr};

/// `reference-server contacts ...`.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum ContactsCommand {
    /// Import contacts from a CSV, XLSX or XLS file into a vendor's list.
    Import(ImportArgs),
}

/// Arguments of `contacts import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The vendor: its id, or the login email of one of its members.
    #[arg(long)]
    pub tenant: String,
    /// The file (`.csv`, `.xlsx` or `.xls`; detected from the content when
    /// the extension says nothing).
    #[arg(long)]
    pub file: PathBuf,
    /// Column mapping, `target=Column` pairs separated by commas; targets
    /// are `phone`, `name`, `tags` or a custom field name, columns are
    /// header texts or letters: `--map phone=HP,name=Nama,kota=C`.
    /// Without it the columns are detected from the headers.
    #[arg(long, value_parser = parse_mapping)]
    pub map: Option<ColumnMapping>,
    /// Tag added to every imported contact (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Group id every imported contact joins.
    #[arg(long)]
    pub group: Option<String>,
    /// Merge the file's names and fields into contacts that already exist.
    #[arg(long)]
    pub update_existing: bool,
    /// Validate and report without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Language of the report and the errors: `id` (Indonesian) or `en`.
    #[arg(long, default_value = "id", value_parser = Lang::parse_arg)]
    pub lang: Lang,
}

/// Parses `--map phone=HP,name=Nama,kota=C`.
fn parse_mapping(s: &str) -> Result<ColumnMapping, String> {
    let mut m = ColumnMapping::default();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((target, column)) = pair.split_once('=') else {
            return Err(format!("{pair:?} is not target=Column"));
        };
        let (target, column) = (target.trim(), column.trim().to_owned());
        if target.is_empty() || column.is_empty() {
            return Err(format!("{pair:?} is not target=Column"));
        }
        let slot = match target.to_ascii_lowercase().as_str() {
            "phone" => &mut m.phone,
            "name" => &mut m.name,
            "tags" => &mut m.tags,
            _ => {
                if m.fields.insert(target.to_owned(), column).is_some() {
                    return Err(format!("{target} is mapped twice"));
                }
                continue;
            }
        };
        if slot.replace(column).is_some() {
            return Err(format!("{target} is mapped twice"));
        }
    }
    Ok(m)
}

impl ContactsCommand {
    /// The language the command reports in (`--lang`).
    pub fn lang(&self) -> Lang {
        match self {
            Self::Import(args) => args.lang,
        }
    }

    /// Runs the command, printing the report to `out`. An error means
    /// nothing was imported.
    pub async fn run(self, state: &AppState, out: &mut impl Write) -> Result<(), AppError> {
        match self {
            Self::Import(args) => {
                i18n::scope(args.lang, async {
                    let report = import(state, args).await?;
                    print_report(&report, out).map_err(AppError::internal)
                })
                .await
            }
        }
    }
}

/// Resolves `--tenant`: a vendor id, else a member's login email.
async fn resolve_tenant(state: &AppState, tenant: &str) -> Result<TenantId, AppError> {
    let by_id = TenantId::from(tenant);
    if crate::tenants::store::exists(&state.pool, &by_id).await? {
        return Ok(by_id);
    }
    let by_email = crate::tenants::store::tenant_of_email(&state.pool, tenant.trim()).await?;
    by_email.ok_or_else(|| {
        AppError::bad_request(
            "unknown_tenant",
            tr!(
                "tidak ada vendor dengan id atau anggota dengan email {tenant:?}",
                "no vendor has the id or a member with the email {tenant:?}"
            ),
        )
    })
}

async fn import(state: &AppState, args: ImportArgs) -> Result<ImportReport, AppError> {
    let tenant_id = resolve_tenant(state, &args.tenant).await?;
    let bytes = tokio::fs::read(&args.file).await.map_err(|e| {
        let path = args.file.display();
        AppError::bad_request(
            "invalid_file",
            tr!("berkas {path} tidak dapat dibaca: {e}", "{path}: {e}"),
        )
    })?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    // Reading and validating a big workbook takes a while before the
    // first row is written: spin until the bar can show rows.
    let bar = ProgressBar::new_spinner().with_message(pick(
        "membaca dan memeriksa berkas",
        "reading and validating the file",
    ));
    bar.enable_steady_tick(Duration::from_millis(120));
    let style = ProgressStyle::with_template(&pick(
        "{bar:40} {pos}/{len} baris ditulis ({per_sec}, sisa {eta})",
        "{bar:40} {pos}/{len} rows written ({per_sec}, {eta} left)",
    ))
    .map_err(AppError::internal)?;
    let progress_bar = bar.clone();
    let group = args.group.map(GroupId::from);
    let result = run_import(
        state,
        &tenant_id,
        &bytes,
        file_name.as_deref(),
        None,
        &args.map.unwrap_or_default(),
        args.tags,
        group.as_ref(),
        args.update_existing,
        args.dry_run,
        move |done, total| {
            if progress_bar.length() != Some(total as u64) {
                progress_bar.disable_steady_tick();
                progress_bar.set_style(style.clone());
                progress_bar.set_length(total as u64);
            }
            progress_bar.set_position(done as u64);
        },
    )
    .await;
    bar.finish_and_clear();
    result
}

/// Prints the report in the current language.
fn print_report(r: &ImportReport, out: &mut impl Write) -> std::io::Result<()> {
    let lang = i18n::current();
    for e in &r.rejected {
        let (row, message, code) = (e.row, e.message.get(lang), e.code);
        let line = tr!(
            "baris {row}: {message} ({code})",
            "row {row}: {message} ({code})"
        );
        writeln!(out, "{}", line.get(lang))?;
    }
    let dry = if r.dry_run {
        lang.pick(
            "uji coba, tidak ada yang ditulis: ",
            "dry run, nothing written: ",
        )
    } else {
        String::new()
    };
    let (rows, created, updated, unchanged, rejected) =
        (r.rows, r.created, r.updated, r.unchanged, r.rejected.len());
    let summary = tr!(
        "{dry}{rows} baris dibaca: {created} dibuat, {updated} diperbarui, {unchanged} tidak berubah, {rejected} ditolak",
        "{dry}{rows} rows read: {created} created, {updated} updated, {unchanged} unchanged, {rejected} rejected"
    );
    writeln!(out, "{}", summary.get(lang))?;
    if !r.fields.is_empty() {
        let fields = r.fields.join(", ");
        writeln!(
            out,
            "{}",
            tr!("kolom kustom: {fields}", "custom fields: {fields}").get(lang)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mapping_argument() {
        let m = parse_mapping("phone=HP, name=Nama,tags=Label,Kota Asal=C").unwrap();
        assert_eq!(m.phone.as_deref(), Some("HP"));
        assert_eq!(m.name.as_deref(), Some("Nama"));
        assert_eq!(m.tags.as_deref(), Some("Label"));
        assert_eq!(m.fields.get("Kota Asal").map(String::as_str), Some("C"));
        assert!(parse_mapping("phone").is_err());
        assert!(parse_mapping("phone=A,phone=B").is_err());
        assert!(parse_mapping("=A").is_err());
        assert_eq!(parse_mapping("").unwrap(), ColumnMapping::default());
    }
}
