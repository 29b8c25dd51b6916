//! Spreadsheet downloads: tables of text cells written as CSV or XLSX and
//! answered as an attachment with the format's content type.
//!
//! Every export (contacts, campaign reports, analytics, admin lists) goes
//! through [`download`], so they share the formats, the file names and the
//! protection against formula injection:
//!
//! - CSV: each table is a section with its own header row; sections are
//!   separated by an empty line. A cell that a spreadsheet would read as a
//!   formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
//!   return and is not a plain number) gets a leading `'`, so opening an
//!   export never runs what a contact typed into their name.
//! - XLSX: one sheet per table, the header row bold, every cell written as
//!   text (phone numbers keep their `+`, nothing is ever a formula), column
//!   widths fitted to the first rows.

use std::borrow::Cow;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppError;
use super::i18n::Text;

/// The `Content-Type` of an XLSX workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The `Content-Type` of a CSV export.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// How many rows decide the XLSX column widths: what a screen shows, so a
/// large export does not measure every cell.
const AUTOFIT_ROWS: u32 = 200;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// Comma-separated text, UTF-8.
    #[default]
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
}

impl ExportFormat {
    /// Parses the `format` query value (`csv` when absent).
    ///
    /// # Errors
    /// 400 `invalid_format` for anything but `csv` or `xlsx`.
    pub fn from_query(value: Option<&str>) -> Result<Self, AppError> {
        match value.unwrap_or("csv") {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            _ => Err(AppError::bad_request(
                "invalid_format",
                Text::new("format harus csv atau xlsx", "format must be csv or xlsx"),
            )),
        }
    }

    /// The response's `Content-Type`.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Csv => CSV_CONTENT_TYPE,
            Self::Xlsx => XLSX_CONTENT_TYPE,
        }
    }

    /// The file name extension, without the dot.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// One table of an export: a sheet of the workbook, or a section of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The sheet's name in a workbook (a CSV section has no name).
    pub name: String,
    /// The header row.
    pub header: Vec<String>,
    /// The data rows, as text.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table named `name` (the XLSX sheet) with a header row and rows.
    pub fn new(
        name: impl Into<String>,
        header: impl IntoIterator<Item = impl Into<String>>,
        rows: Vec<Vec<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            header: header.into_iter().map(Into::into).collect(),
            rows,
        }
    }
}

/// An export that could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing the CSV failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// Writing the workbook failed (e.g. more rows than a sheet holds).
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// More rows or columns than the format can address.
    #[error("the export has too many rows or columns")]
    TooLarge,
}

/// Writes `tables` in `format`.
///
/// # Errors
/// When the writer fails, or a table does not fit in a worksheet.
pub fn encode(format: ExportFormat, tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    match format {
        ExportFormat::Csv => write_csv(tables),
        ExportFormat::Xlsx => write_xlsx(tables),
    }
}

/// Writes `tables` in `format` (off the async runtime: a large workbook
/// takes a while) and answers them as the attachment `{base_name}.{ext}`.
///
/// # Errors
/// 500 when the file cannot be written.
pub async fn download(
    format: ExportFormat,
    base_name: &str,
    tables: Vec<Table>,
) -> Result<Response, AppError> {
    let bytes = tokio::task::spawn_blocking(move || encode(format, &tables))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok(attachment(format, base_name, bytes))
}

/// The response carrying an export: its content type and a
/// `Content-Disposition` naming the file `{base_name}.{ext}`.
#[must_use]
pub fn attachment(format: ExportFormat, base_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}.{}\"",
        file_name_safe(base_name),
        format.extension()
    );
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// `name` with every character but ASCII letters, digits, `.`, `_` and
/// `-` replaced by `_`, so it cannot break out of the quoted header value.
fn file_name_safe(name: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.chars().all(safe) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(
            name.chars()
                .map(|c| if safe(c) { c } else { '_' })
                .collect(),
        )
    }
}

/// `cell` as a CSV field that a spreadsheet shows as text: a leading `'`
/// when it would otherwise be read as a formula.
fn csv_cell(cell: &str) -> Cow<'_, str> {
    let formula_like = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if formula_like && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// [`csv_cell`] as bytes for the CSV writer, borrowed when unchanged.
fn csv_field(cell: &str) -> Cow<'_, [u8]> {
    match csv_cell(cell) {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// A signed decimal number (`+6281234567890`, `-12.5`): what a spreadsheet
/// reads as a value, not a formula, so it is written as it is.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

fn write_csv(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(table.header.iter().map(|c| csv_field(c)))?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| csv_field(c)))?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}

fn write_xlsx(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&table.name)?;
        for (c, h) in table.header.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| ExportError::TooLarge)?;
            sheet.write_string_with_format(0, c, h, &bold)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| ExportError::TooLarge)?;
            for (c, value) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| ExportError::TooLarge)?;
                sheet.write_string(r, c, value)?;
            }
        }
        sheet.set_autofit_max_row(AUTOFIT_ROWS);
        sheet.autofit();
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Cursor;

    use calamine::Reader;

    use super::*;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| (*s).to_owned()).collect()
    }

    fn sheets() -> Vec<Table> {
        vec![
            Table::new(
                "Ringkasan",
                ["date", "n"],
                vec![strings(&["2026-11-24", "3"])],
            ),
            Table::new(
                "Kata kunci",
                ["keyword", "hits"],
                vec![strings(&["harga", "7"])],
            ),
        ]
    }

    #[test]
    fn csv_sections_follow_each_other_after_an_empty_line() {
        let out = encode(ExportFormat::Csv, &sheets()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "date,n\n2026-11-24,3\n\nkeyword,hits\nharga,7\n"
        );
    }

    #[test]
    fn csv_quotes_separators_and_quotes() {
        let t = Table::new("", ["name"], vec![strings(&["a, \"b\""])]);
        let out = encode(ExportFormat::Csv, &[t]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "name\n\"a, \"\"b\"\"\"\n");
    }

    #[test]
    fn csv_cells_that_read_as_formulas_become_text() {
        let t = Table::new(
            "",
            ["=kota", "phone"],
            vec![
                strings(&["=HYPERLINK(\"http://x\")", "+6281234567890"]),
                strings(&["+cmd|' /C calc'!A0", "-12.5"]),
                strings(&["-2+3", "@SUM(A1)"]),
                strings(&["\tx", "Budi = teman"]),
                strings(&["-", ""]),
            ],
        );
        let out = String::from_utf8(encode(ExportFormat::Csv, &[t]).unwrap()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "'=kota,phone",
                "\"'=HYPERLINK(\"\"http://x\"\")\",+6281234567890",
                "'+cmd|' /C calc'!A0,-12.5",
                "'-2+3,'@SUM(A1)",
                "'\tx,Budi = teman",
                "'-,",
            ]
        );
    }

    #[test]
    fn plain_numbers_are_not_formulas() {
        for n in ["+62812", "-1", "12", "-0.5", "+3."] {
            assert!(is_plain_number(n), "{n}");
        }
        for s in ["", "+", "-.5", "1e5", "+62 812", "1.2.3", "--1", "=1"] {
            assert!(!is_plain_number(s), "{s}");
        }
    }

    #[test]
    fn xlsx_has_a_sheet_per_table_with_text_cells() {
        let mut tables = sheets();
        tables[0].rows.push(strings(&["=1+1", "+6281234567890"]));
        let book = encode(ExportFormat::Xlsx, &tables).unwrap();
        let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(book)).unwrap();
        assert_eq!(wb.sheet_names(), ["Ringkasan", "Kata kunci"]);
        let r = wb.worksheet_range("Kata kunci").unwrap();
        assert_eq!(r.get((1, 0)).unwrap().to_string(), "harga");
        let r = wb.worksheet_range("Ringkasan").unwrap();
        assert_eq!(r.get((0, 0)).unwrap().to_string(), "date");
        // Written as strings: no formula, and the `+` stays.
        assert_eq!(
            r.get((2, 0)).unwrap(),
            &calamine::Data::String("=1+1".to_owned())
        );
        assert_eq!(r.get((2, 1)).unwrap().to_string(), "+6281234567890");
        assert!(
            wb.worksheet_formula("Ringkasan")
                .unwrap()
                .used_cells()
                .all(|(_, _, f)| f.is_empty())
        );
    }

    #[test]
    fn a_bad_sheet_name_is_an_error() {
        let t = Table::new("a/b", ["x"], Vec::new());
        assert!(matches!(
            encode(ExportFormat::Xlsx, &[t]),
            Err(ExportError::Xlsx(_))
        ));
    }

    #[test]
    fn formats_from_the_query() {
        assert_eq!(ExportFormat::from_query(None).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::from_query(Some("xlsx")).unwrap(),
            ExportFormat::Xlsx
        );
        assert_eq!(
            ExportFormat::from_query(Some("pdf")).unwrap_err().code(),
            "invalid_format"
        );
    }

    #[test]
    fn the_response_names_the_file_and_its_type() {
        let res = attachment(ExportFormat::Xlsx, "campaign-01J9", b"PK".to_vec());
        assert_eq!(res.headers()[header::CONTENT_TYPE], XLSX_CONTENT_TYPE);
        assert_eq!(
            res.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"campaign-01J9.xlsx\""
        );
        let res = attachment(ExportFormat::Csv, "a\"b\r\n/ké", Vec::new());
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            res.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"a_b___k_.csv\""
        );
    }
}
