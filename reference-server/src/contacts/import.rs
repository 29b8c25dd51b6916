//! Contact files: reading CSV, `.xlsx` and `.xls` into rows, mapping
//! columns, validating every row (each rejection carries its spreadsheet
//! row number and a reason). Pure functions over bytes; the database side
//! is in [`super::store`], exports are written by [`crate::http::export`].

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatsapp_client::PhoneNumber;

use crate::http::i18n::{Text, tr};

/// Largest number of data rows one import accepts.
pub const MAX_IMPORT_ROWS: usize = 200_000;
/// Longest custom field value kept, in characters.
pub const MAX_FIELD_CHARS: usize = 1000;

/// A contact file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Comma, semicolon or tab separated text (UTF-8, optional BOM).
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 97-2003 workbook.
    Xls,
}

/// Why a whole file was rejected (nothing imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The bytes are not a CSV / Excel file we can read.
    #[error("cannot read the file as {format}: {message}")]
    Unreadable {
        /// The format tried.
        format: &'static str,
        /// What the reader said.
        message: String,
    },
    /// No header row.
    #[error("the file is empty")]
    Empty,
    /// The phone column could not be found.
    #[error("no phone column: map one with mapping.phone (headers found: {0})")]
    NoPhoneColumn(String),
    /// A mapped header is not in the file.
    #[error("column {0:?} named in the mapping is not in the header row")]
    UnknownColumn(String),
    /// More rows than [`MAX_IMPORT_ROWS`].
    #[error("the file has more than {MAX_IMPORT_ROWS} rows; split it")]
    TooManyRows,
}

impl FileError {
    /// The explanation in both languages, for API error messages.
    pub fn text(&self) -> Text {
        match self {
            Self::Unreadable { format, message } => tr!(
                "berkas tidak dapat dibaca sebagai {format}: {message}",
                "cannot read the file as {format}: {message}"
            ),
            Self::Empty => Text::new("berkas kosong", "the file is empty"),
            Self::NoPhoneColumn(headers) => tr!(
                "tidak ada kolom nomor telepon: tentukan dengan mapping.phone (header yang ditemukan: {headers})",
                "no phone column: map one with mapping.phone (headers found: {headers})"
            ),
            Self::UnknownColumn(column) => tr!(
                "kolom {column:?} yang disebut di mapping tidak ada di baris header",
                "column {column:?} named in the mapping is not in the header row"
            ),
            Self::TooManyRows => tr!(
                "berkas berisi lebih dari {MAX_IMPORT_ROWS} baris; pecah menjadi beberapa berkas",
                "the file has more than {MAX_IMPORT_ROWS} rows; split it"
            ),
        }
    }
}

/// Which column holds what. Columns are named by their header text
/// (case-insensitive) or by their letter (`A`, `B`, ... `AA`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColumnMapping {
    /// The phone column; detected from headers such as `phone`, `no hp`,
    /// `nomor`, `whatsapp`, `wa` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The name column; detected (`name`, `nama`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A column of tags separated by `,` or `;`; detected (`tags`, `tag`,
    /// `label`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// Custom field name -> column. When empty, every other column becomes
    /// a custom field named after its header (lowercase, `_` for spaces).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// One valid row, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    /// Spreadsheet row number (the header is row 1 when it is the first row).
    pub row: usize,
    /// E.164 phone number.
    pub phone: String,
    /// Name (may be empty).
    pub name: String,
    /// Custom fields.
    pub fields: BTreeMap<String, String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// Spreadsheet row number.
    pub row: usize,
    /// Stable code: `missing_phone`, `invalid_phone`, `duplicate_in_file`,
    /// `value_too_long`.
    pub code: &'static str,
    /// Why, in words (in the caller's language).
    #[schema(value_type = String)]
    pub message: Text,
}

/// The outcome of reading and validating a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Rows to import.
    pub rows: Vec<ContactRow>,
    /// Rows rejected.
    pub errors: Vec<RowError>,
    /// Custom field names used.
    pub field_names: Vec<String>,
}

/// Detects the format from the file name's extension, else from the first
/// bytes (ZIP = xlsx, OLE = xls, anything else = CSV).
pub fn detect_format(file_name: Option<&str>, bytes: &[u8]) -> FileFormat {
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("xlsx") => return FileFormat::Xlsx,
        Some("xls") => return FileFormat::Xls,
        Some("csv" | "txt" | "tsv") => return FileFormat::Csv,
        _ => {}
    }
    if bytes.starts_with(b"PK\x03\x04") {
        FileFormat::Xlsx
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        FileFormat::Xls
    } else {
        FileFormat::Csv
    }
}

/// A table of cells: `(spreadsheet row number, cells)`.
pub type Table = Vec<(usize, Vec<String>)>;

/// Reads every row of the file (the first sheet of a workbook) as text.
pub fn read_table(format: FileFormat, bytes: &[u8]) -> Result<Table, FileError> {
    match format {
        FileFormat::Csv => read_csv(bytes),
        FileFormat::Xlsx | FileFormat::Xls => read_workbook(format, bytes),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Indonesian Excel exports CSV with `;` (comma is the decimal mark);
    // pick the delimiter that appears most in the first line.
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut out = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|e| FileError::Unreadable {
            format: "CSV",
            message: e.to_string(),
        })?;
        let row = record
            .position()
            .map_or(i + 1, |p| usize::try_from(p.line()).unwrap_or(i + 1));
        let cells = record
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_owned())
            .collect();
        out.push((row, cells));
        if out.len() > MAX_IMPORT_ROWS + 1 {
            return Err(FileError::TooManyRows);
        }
    }
    Ok(out)
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Int(i) => i.to_string(),
        // Phone numbers typed into Excel become floats (6.28123456789E+12):
        // print whole numbers without a fraction or exponent.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

fn read_workbook(format: FileFormat, bytes: &[u8]) -> Result<Table, FileError> {
    use calamine::Reader;
    let name = if format == FileFormat::Xls {
        "XLS"
    } else {
        "XLSX"
    };
    let unreadable = |e: &dyn std::fmt::Display| FileError::Unreadable {
        format: name,
        message: e.to_string(),
    };
    let cursor = Cursor::new(bytes);
    let mut book = calamine::open_workbook_auto_from_rs(cursor).map_err(|e| unreadable(&e))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| unreadable(&e))?,
        None => return Err(FileError::Empty),
    };
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    if range.height() > MAX_IMPORT_ROWS + 1 {
        return Err(FileError::TooManyRows);
    }
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Keep column letters meaningful when the sheet starts at C1.
            let mut v = vec![String::new(); first_col];
            v.extend(cells.iter().map(cell_text));
            (first_row + i + 1, v)
        })
        .collect())
}

/// `A` -> 0, `Z` -> 25, `AA` -> 26.
fn column_letter_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some(
        s.bytes()
            .fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A') + 1)
            - 1,
    )
}

/// A custom field name from a header: ASCII lowercase, spaces and dashes
/// to `_`, only letters, digits, `_` and `.` kept, so it is usable as a
/// template variable (`{kota}`); a leading digit gets an `f_` prefix.
pub fn field_name_from_header(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-') && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    // Template variables start with a letter or `_`.
    if out.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        format!("f_{out}")
    } else {
        out.to_owned()
    }
}

const PHONE_HEADERS: &[&str] = &[
    "phone",
    "phone number",
    "phone_number",
    "no hp",
    "no. hp",
    "nohp",
    "no_hp",
    "hp",
    "nomor",
    "nomor hp",
    "nomor wa",
    "no wa",
    "nomor whatsapp",
    "whatsapp",
    "wa",
    "telepon",
    "telp",
    "mobile",
];
const NAME_HEADERS: &[&str] = &[
    "name",
    "nama",
    "nama lengkap",
    "full name",
    "customer",
    "pelanggan",
];
const TAG_HEADERS: &[&str] = &["tags", "tag", "label", "labels"];

fn find_header(headers: &[String], candidates: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| candidates.contains(&h.trim().to_lowercase().as_str()))
}

fn resolve(headers: &[String], wanted: &str) -> Result<usize, FileError> {
    let lower = wanted.trim().to_lowercase();
    if let Some(i) = headers
        .iter()
        .position(|h| h.trim().to_lowercase() == lower)
    {
        return Ok(i);
    }
    column_letter_index(wanted.trim()).ok_or_else(|| FileError::UnknownColumn(wanted.to_owned()))
}

/// Splits a tag cell on `,` and `;`, trimming and dropping empties.
pub fn split_tags(cell: &str) -> Vec<String> {
    cell.split([',', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn cell(cells: &[String], i: usize) -> &str {
    cells.get(i).map_or("", |s| s.trim())
}

/// Validates every data row of `table` (the first row is the header).
pub fn parse_rows(table: &Table, mapping: &ColumnMapping) -> Result<Parsed, FileError> {
    let Some(((_, headers), data)) = table.split_first() else {
        return Err(FileError::Empty);
    };
    if data.len() > MAX_IMPORT_ROWS {
        return Err(FileError::TooManyRows);
    }
    let phone_col = match &mapping.phone {
        Some(p) => resolve(headers, p)?,
        None => find_header(headers, PHONE_HEADERS)
            .ok_or_else(|| FileError::NoPhoneColumn(headers.join(", ")))?,
    };
    let name_col = match &mapping.name {
        Some(n) => Some(resolve(headers, n)?),
        None => find_header(headers, NAME_HEADERS),
    };
    let tags_col = match &mapping.tags {
        Some(t) => Some(resolve(headers, t)?),
        None => find_header(headers, TAG_HEADERS),
    };
    let field_cols: Vec<(String, usize)> = if mapping.fields.is_empty() {
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != phone_col && Some(*i) != name_col && Some(*i) != tags_col)
            .map(|(i, h)| (field_name_from_header(h), i))
            .filter(|(n, _)| !n.is_empty())
            .collect()
    } else {
        mapping
            .fields
            .iter()
            .map(|(name, col)| Ok((field_name_from_header(name), resolve(headers, col)?)))
            .collect::<Result<_, FileError>>()?
    };

    let mut out = Parsed {
        field_names: field_cols.iter().map(|(n, _)| n.clone()).collect(),
        ..Parsed::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in data {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw_phone = cell(cells, phone_col);
        if raw_phone.is_empty() {
            out.errors.push(RowError {
                row: *row,
                code: "missing_phone",
                message: Text::new("nomor telepon kosong", "phone number is empty"),
            });
            continue;
        }
        let phone = match PhoneNumber::parse(raw_phone) {
            Ok(p) => p.e164().to_owned(),
            Err(e) => {
                out.errors.push(RowError {
                    row: *row,
                    code: "invalid_phone",
                    message: crate::phone::why(&e).about(&format!("{raw_phone:?}")),
                });
                continue;
            }
        };
        if let Some(first) = seen.get(&phone) {
            out.errors.push(RowError {
                row: *row,
                code: "duplicate_in_file",
                message: tr!(
                    "{phone} sudah ada di baris {first}",
                    "{phone} already appears in row {first}"
                ),
            });
            continue;
        }
        let name = name_col
            .map(|i| cell(cells, i))
            .unwrap_or_default()
            .to_owned();
        let mut fields = BTreeMap::new();
        let mut too_long = None;
        for (fname, i) in &field_cols {
            let v = cell(cells, *i);
            if v.chars().count() > MAX_FIELD_CHARS {
                too_long = Some(fname.clone());
            }
            if !v.is_empty() {
                fields.insert(fname.clone(), v.to_owned());
            }
        }
        if name.chars().count() > 200 {
            too_long = Some("name".to_owned());
        }
        if let Some(f) = too_long {
            out.errors.push(RowError {
                row: *row,
                code: "value_too_long",
                message: tr!(
                    "{f} lebih panjang dari yang diizinkan",
                    "{f} is longer than allowed"
                ),
            });
            continue;
        }
        let tags = tags_col
            .map(|i| split_tags(cell(cells, i)))
            .unwrap_or_default();
        seen.insert(phone.clone(), *row);
        out.rows.push(ContactRow {
            row: *row,
            phone,
            name,
            fields,
            tags,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::export::{ExportFormat, Table, encode};
    use crate::http::i18n::Lang;

    #[test]
    fn csv_with_semicolons_auto_mapping_and_row_errors() {
        let csv = "\u{feff}Nama;No HP;Kota;Tags\n\
                   Budi;0812-3456-7890;Bandung;vip, baru\n\
                   Sari;;Jakarta;\n\
                   Andi;12ab;Solo;\n\
                   Budi lagi;+62 812 3456 7890;Bogor;\n\
                   ;;;\n\
                   Dewi;6281298765432;;\n";
        let table = read_table(
            detect_format(Some("kontak.csv"), csv.as_bytes()),
            csv.as_bytes(),
        )
        .unwrap();
        let p = parse_rows(&table, &ColumnMapping::default()).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].row, 2);
        assert_eq!(p.rows[0].phone, "+6281234567890");
        assert_eq!(p.rows[0].name, "Budi");
        assert_eq!(
            p.rows[0].fields.get("kota").map(String::as_str),
            Some("Bandung")
        );
        assert_eq!(p.rows[0].tags, vec!["vip".to_owned(), "baru".to_owned()]);
        assert_eq!(p.rows[1].row, 7);
        let errs: Vec<(usize, &str)> = p.errors.iter().map(|e| (e.row, e.code)).collect();
        assert_eq!(
            errs,
            vec![
                (3, "missing_phone"),
                (4, "invalid_phone"),
                (5, "duplicate_in_file")
            ]
        );
        assert_eq!(
            p.errors[2].message.get(Lang::En),
            "+6281234567890 already appears in row 2"
        );
        assert_eq!(
            p.errors[2].message.get(Lang::Id),
            "+6281234567890 sudah ada di baris 2"
        );
        assert_eq!(p.field_names, vec!["kota".to_owned()]);
    }

    #[test]
    fn explicit_mapping_by_header_and_letter() {
        let csv = "a,b,c\n081234567890,Rina,Surabaya\n";
        let table = read_table(FileFormat::Csv, csv.as_bytes()).unwrap();
        let mapping = ColumnMapping {
            phone: Some("A".into()),
            name: Some("b".into()),
            tags: None,
            fields: BTreeMap::from([("Kota Asal".to_owned(), "C".to_owned())]),
        };
        let p = parse_rows(&table, &mapping).unwrap();
        assert_eq!(
            p.rows[0].fields.get("kota_asal").map(String::as_str),
            Some("Surabaya")
        );
        assert_eq!(p.rows[0].name, "Rina");
        let bad = ColumnMapping {
            phone: Some("Nomor".into()),
            ..ColumnMapping::default()
        };
        assert_eq!(
            parse_rows(&table, &bad),
            Err(FileError::UnknownColumn("Nomor".into()))
        );
        let none = read_table(FileFormat::Csv, b"x,y\n1,2\n").unwrap();
        assert!(matches!(
            parse_rows(&none, &ColumnMapping::default()),
            Err(FileError::NoPhoneColumn(_))
        ));
    }

    #[test]
    fn xlsx_round_trip_with_numeric_phones() {
        // A workbook as Excel users make it: phone typed as a number.
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "Nama").unwrap();
        ws.write_string(0, 1, "WhatsApp").unwrap();
        ws.write_string(1, 0, "Joko").unwrap();
        ws.write_number(1, 1, 6281234567890.0).unwrap();
        ws.write_string(2, 0, "Tono").unwrap();
        ws.write_number(2, 1, 81298765432.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(detect_format(None, &bytes), FileFormat::Xlsx);
        let table = read_table(FileFormat::Xlsx, &bytes).unwrap();
        let p = parse_rows(&table, &ColumnMapping::default()).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows[0].phone, "+6281234567890");
        assert_eq!(p.rows[1].phone, "+6281298765432");
        assert_eq!(p.rows[1].row, 3);

        let export = Table::new(
            "Kontak",
            ["phone", "name"],
            vec![vec!["+6281234567890".into(), "Joko".into()]],
        );
        let out = encode(ExportFormat::Xlsx, &[export]).unwrap();
        let back = read_table(FileFormat::Xlsx, &out).unwrap();
        assert_eq!(
            back[1].1,
            vec!["+6281234567890".to_owned(), "Joko".to_owned()]
        );
    }

    #[test]
    fn garbage_is_a_file_error() {
        assert!(matches!(
            read_table(FileFormat::Xlsx, b"PK\x03\x04 not really"),
            Err(FileError::Unreadable { .. })
        ));
        assert_eq!(
            parse_rows(&Vec::new(), &ColumnMapping::default()),
            Err(FileError::Empty)
        );
    }
}
