//! CSV: the first row is the header; every other row becomes a block of
//! `header: value` pairs, and chunks of rows repeat the header.

use super::{Block, BlockKind, ExtractError, Extracted};

pub(super) fn extract(source: &str) -> Result<Extracted, ExtractError> {
    let delimiter = delimiter(source);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(source.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| ExtractError::Corrupt(format!("the CSV does not parse: {e}")))?;
        let row: Vec<String> = record.iter().map(super::text::squash).collect();
        if row.iter().any(|c| !c.is_empty()) {
            rows.push(row);
        }
    }
    let Some(header) = rows.first().cloned() else { return Err(ExtractError::Empty) };
    let header_line = header.join(" | ");
    let blocks = rows[1..]
        .iter()
        .map(|row| {
            let text = row
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_empty())
                .map(|(i, v)| match header.get(i).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h}: {v}"),
                    None => v.clone(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            Block {
                text,
                kind: BlockKind::TableRow,
                page: None,
                headings: Vec::new(),
                table_header: Some(header_line.clone()),
            }
        })
        .collect();
    Ok(Extracted { blocks, pages: None, title: None })
}

fn delimiter(source: &str) -> u8 {
    let first = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| first.bytes().filter(|&b| b == d).count())
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_under_their_header() {
        let x = extract("item;qty;price\nbolt;2;\"1,50\"\n\nnut;;0.20\n").expect("parses");
        let texts: Vec<&str> = x.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["item: bolt; qty: 2; price: 1,50", "item: nut; price: 0.20"]);
        assert_eq!(x.blocks[0].table_header.as_deref(), Some("item | qty | price"));
    }
}
