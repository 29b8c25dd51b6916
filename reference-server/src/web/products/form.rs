//! The product forms as typed, checked by the catalog's own validators.

use serde::Deserialize;

use super::super::page::{FormErrors, PageError};
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::marketplace::catalog::{
    self,
    model::{NewVariant, Product, Spec},
};

/// A number as typed: digits, with dots or spaces between thousands
/// allowed (`50.000`).
pub(super) fn number(field: &'static str, typed: &str) -> Result<i64, AppError> {
    let digits: String = typed
        .trim()
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect();
    digits.parse().map_err(|_| {
        AppError::bad_request(
            "invalid_number",
            Text::new(
                format!("{field}: tulis angka bulat"),
                format!("{field}: write a whole number"),
            ),
        )
    })
}

/// Specifications as typed: one `key: value` per line.
fn spec_lines(typed: &str) -> Result<Vec<Spec>, AppError> {
    typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| match line.split_once(':') {
            Some((k, v)) => Ok(Spec {
                key: k.trim().to_owned(),
                value: v.trim().to_owned(),
            }),
            None => {
                let n = i + 1;
                Err(AppError::bad_request(
                    "invalid_specs",
                    Text::new(
                        format!("spesifikasi baris {n}: tulis \"nama: isi\""),
                        format!("specifications line {n}: write \"name: value\""),
                    ),
                ))
            }
        })
        .collect()
}

fn spec_text(specs: &[Spec]) -> String {
    specs
        .iter()
        .map(|s| format!("{}: {}", s.key, s.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The product's texts as typed (create and edit).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct TextsForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) category: String,
    #[serde(default)]
    pub(super) description: String,
    /// One `key: value` per line.
    #[serde(default)]
    pub(super) specs: String,
    /// Empty: the platform's default.
    #[serde(default)]
    pub(super) threshold: String,
}

impl TextsForm {
    pub(super) fn of(p: &Product) -> Self {
        Self {
            name: p.name.clone(),
            category: p.category.clone(),
            description: p.description.clone(),
            specs: spec_text(&p.specs),
            threshold: p
                .low_stock_threshold
                .map(|t| t.to_string())
                .unwrap_or_default(),
        }
    }

    /// Checks every field with the catalog's validators, recording each
    /// error next to its field; answers the specifications and the
    /// threshold (`None` when left empty: the platform's default).
    pub(super) fn check(
        &self,
        errors: &mut FormErrors,
    ) -> Result<(Vec<Spec>, Option<i64>), PageError> {
        use crate::marketplace::buyers::model::text_field;
        errors.check("name", text_field("name", &self.name, 200))?;
        errors.check("category", catalog::model::category(&self.category))?;
        errors.check(
            "description",
            catalog::model::description(&self.description),
        )?;
        let specs = errors.check(
            "specs",
            spec_lines(&self.specs).and_then(|s| catalog::model::specs(&s)),
        )?;
        let threshold = if self.threshold.trim().is_empty() {
            None
        } else {
            errors.check(
                "threshold",
                number("low_stock_threshold", &self.threshold).and_then(catalog::model::threshold),
            )?
        };
        Ok((specs.unwrap_or_default(), threshold))
    }
}

/// Variant rows on the new-product form.
const ROWS: usize = 3;
pub(super) const SKU: [&str; ROWS] = ["sku0", "sku1", "sku2"];
const VNAME: [&str; ROWS] = ["vname0", "vname1", "vname2"];
const PRICE: [&str; ROWS] = ["price0", "price1", "price2"];
const STOCK: [&str; ROWS] = ["stock0", "stock1", "stock2"];

/// The new-product form: the texts and up to [`ROWS`] variants (more are
/// added on the product's page).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct NewForm {
    #[serde(flatten)]
    pub(super) texts: TextsForm,
    #[serde(default)]
    sku0: String,
    #[serde(default)]
    vname0: String,
    #[serde(default)]
    price0: String,
    #[serde(default)]
    stock0: String,
    #[serde(default)]
    sku1: String,
    #[serde(default)]
    vname1: String,
    #[serde(default)]
    price1: String,
    #[serde(default)]
    stock1: String,
    #[serde(default)]
    sku2: String,
    #[serde(default)]
    vname2: String,
    #[serde(default)]
    price2: String,
    #[serde(default)]
    stock2: String,
}

/// One variant row as typed.
#[derive(Debug, Default, Clone)]
pub(super) struct VariantRow {
    pub(super) index: usize,
    pub(super) sku: String,
    pub(super) name: String,
    pub(super) price: String,
    pub(super) stock: String,
}

impl VariantRow {
    pub(super) fn sku_field(&self) -> &'static str {
        SKU[self.index]
    }
    pub(super) fn name_field(&self) -> &'static str {
        VNAME[self.index]
    }
    pub(super) fn price_field(&self) -> &'static str {
        PRICE[self.index]
    }
    pub(super) fn stock_field(&self) -> &'static str {
        STOCK[self.index]
    }

    pub(super) fn is_empty(&self) -> bool {
        [&self.sku, &self.name, &self.price, &self.stock]
            .iter()
            .all(|f| f.trim().is_empty())
    }

    /// The variant checked by the catalog's rules, each error next to its
    /// field.
    pub(super) fn check(&self, errors: &mut FormErrors) -> Result<Option<NewVariant>, PageError> {
        let price = errors.check(self.price_field(), number("price_idr", &self.price))?;
        let stock = if self.stock.trim().is_empty() {
            Some(0)
        } else {
            errors.check(self.stock_field(), number("stock", &self.stock))?
        };
        let (Some(price), Some(stock)) = (price, stock) else {
            return Ok(None);
        };
        let v = NewVariant {
            sku: self.sku.clone(),
            name: self.name.clone(),
            options: Default::default(),
            price_idr: price,
            stock,
        };
        match v.validate() {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                errors.absorb(
                    e,
                    &[
                        ("invalid_sku", self.sku_field()),
                        ("invalid_price", self.price_field()),
                        ("invalid_stock", self.stock_field()),
                        ("invalid_field", self.name_field()),
                    ],
                )?;
                Ok(None)
            }
        }
    }
}

impl NewForm {
    pub(super) fn rows(&self) -> Vec<VariantRow> {
        [
            (&self.sku0, &self.vname0, &self.price0, &self.stock0),
            (&self.sku1, &self.vname1, &self.price1, &self.stock1),
            (&self.sku2, &self.vname2, &self.price2, &self.stock2),
        ]
        .into_iter()
        .enumerate()
        .map(|(index, (sku, name, price, stock))| VariantRow {
            index,
            sku: sku.clone(),
            name: name.clone(),
            price: price.clone(),
            stock: stock.clone(),
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::i18n::Lang;

    #[test]
    fn numbers_may_have_thousands_dots() {
        assert_eq!(number("price_idr", "250.000").unwrap(), 250_000);
        assert_eq!(number("price_idr", " 1 500 ").unwrap(), 1_500);
        assert_eq!(
            number("price_idr", "12,5").unwrap_err().code(),
            "invalid_number"
        );
        assert!(number("stock", "").is_err());
    }

    #[test]
    fn specifications_are_one_name_and_value_per_line() {
        let specs = spec_lines("Bahan: Katun\n\n Berat : 200 g: kira-kira \n").unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(
            (specs[1].key.as_str(), specs[1].value.as_str()),
            ("Berat", "200 g: kira-kira")
        );
        let e = spec_lines("Bahan: Katun\nTanpa titik dua").unwrap_err();
        assert!(
            e.message(Lang::En).contains("line 2"),
            "{}",
            e.message(Lang::En)
        );
        assert_eq!(spec_text(&specs), "Bahan: Katun\nBerat: 200 g: kira-kira");
    }
}
