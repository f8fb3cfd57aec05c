//! Word (DOCX): paragraphs with their heading styles (read through
//! `styles.xml`, so localised style names work), list items, and tables
//! as rows under their header row.

use std::collections::HashMap;
use std::io::Read;

use quick_xml::events::{BytesStart, Event};

use super::text::{self, Outline};
use super::{Block, BlockKind, ExtractError, Extracted};

const MAX_XML: u64 = 64 << 20;

pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("not a readable DOCX: {e}")))?;
    let document = read(&mut archive, "word/document.xml")?
        .ok_or_else(|| ExtractError::Corrupt("the DOCX has no word/document.xml".into()))?;
    let styles = match read(&mut archive, "word/styles.xml")? {
        Some(xml) => heading_styles(&xml),
        None => HashMap::new(),
    };
    let title = read(&mut archive, "docProps/core.xml")?.and_then(|xml| core_title(&xml));
    let blocks = body(&document, &styles)?;
    Ok(Extracted { blocks, pages: None, title })
}

fn read(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, ExtractError> {
    let Ok(file) = archive.by_name(name) else { return Ok(None) };
    let mut s = String::new();
    file.take(MAX_XML)
        .read_to_string(&mut s)
        .map_err(|e| ExtractError::Corrupt(format!("{name}: {e}")))?;
    Ok(Some(s))
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Style id → heading level, from the styles' names (`heading 2`, `Title`)
/// or outline levels.
fn heading_styles(xml: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"style" => current = attr(&e, b"w:styleId"),
                b"name" => {
                    if let (Some(id), Some(name)) = (&current, attr(&e, b"w:val"))
                        && let Some(level) = level_of_name(&name)
                    {
                        out.insert(id.clone(), level);
                    }
                }
                b"outlineLvl" => {
                    if let (Some(id), Some(v)) = (&current, attr(&e, b"w:val"))
                        && let Ok(n) = v.parse::<usize>()
                    {
                        out.entry(id.clone()).or_insert(n + 1);
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn level_of_name(name: &str) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    if n == "title" {
        return Some(1);
    }
    let rest = n.strip_prefix("heading")?.trim();
    rest.parse::<usize>().ok().filter(|l| (1..=9).contains(l))
}

fn core_title(xml: &str) -> Option<String> {
    let start = xml.find("<dc:title>")? + "<dc:title>".len();
    let end = xml[start..].find("</dc:title>")? + start;
    let t = text::squash(&quick_xml::escape::unescape(&xml[start..end]).ok()?);
    (!t.is_empty()).then_some(t)
}

#[derive(Default)]
struct Para {
    text: String,
    style: Option<String>,
    outline_level: Option<usize>,
    list: bool,
}

fn body(xml: &str, styles: &HashMap<String, usize>) -> Result<Vec<Block>, ExtractError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut outline = Outline::new();
    let mut blocks = Vec::new();
    let mut para: Option<Para> = None;
    let mut in_text = false;
    // Tables: rows of cells; nested tables flatten into their cell.
    let mut table_depth = 0usize;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cell: Option<String> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("word/document.xml: {e}")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"p" => para = Some(Para::default()),
                b"t" => in_text = true,
                b"tbl" => {
                    table_depth += 1;
                    if table_depth == 1 {
                        rows.clear();
                    }
                }
                b"tr" if table_depth == 1 => rows.push(Vec::new()),
                b"tc" if table_depth == 1 => cell = Some(String::new()),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"pStyle" => {
                    if let Some(p) = para.as_mut() {
                        p.style = attr(&e, b"w:val");
                    }
                }
                b"outlineLvl" => {
                    if let Some(p) = para.as_mut() {
                        p.outline_level =
                            attr(&e, b"w:val").and_then(|v| v.parse::<usize>().ok()).map(|n| n + 1);
                    }
                }
                b"numPr" => {
                    if let Some(p) = para.as_mut() {
                        p.list = true;
                    }
                }
                b"tab" | b"br" | b"cr" => {
                    if let Some(p) = para.as_mut() {
                        p.text.push(' ');
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some(p) = para.as_mut() {
                    let s = t.decode().map_err(|e| ExtractError::Corrupt(e.to_string()))?;
                    let s = quick_xml::escape::unescape(&s)
                        .map_err(|e| ExtractError::Corrupt(e.to_string()))?;
                    p.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) if in_text => {
                if let Some(p) = para.as_mut() {
                    let name = r.decode().map_err(|e| ExtractError::Corrupt(e.to_string()))?;
                    let entity = format!("&{name};");
                    let s = quick_xml::escape::unescape(&entity)
                        .map(|c| c.into_owned())
                        .unwrap_or_default();
                    p.text.push_str(&s);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"numPr" => {
                    if let Some(p) = para.as_mut() {
                        p.list = true;
                    }
                }
                b"p" => {
                    let Some(p) = para.take() else { continue };
                    let text = text::squash(&p.text);
                    if text.is_empty() {
                        continue;
                    }
                    if let Some(c) = cell.as_mut() {
                        if !c.is_empty() {
                            c.push(' ');
                        }
                        c.push_str(&text);
                        continue;
                    }
                    let level = p
                        .style
                        .as_deref()
                        .and_then(|s| styles.get(s).copied().or_else(|| level_of_name(s)))
                        .or(p.outline_level);
                    match level {
                        Some(level) => text::enter(&mut outline, level, text),
                        None => {
                            let kind =
                                if p.list { BlockKind::ListItem } else { BlockKind::Paragraph };
                            blocks.push(Block::new(text, kind, &text::path(&outline)));
                        }
                    }
                }
                b"tc" if table_depth == 1 => {
                    if let (Some(c), Some(row)) = (cell.take(), rows.last_mut()) {
                        row.push(c);
                    }
                }
                b"tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    if table_depth == 0 {
                        blocks.extend(table_blocks(&rows, &text::path(&outline)));
                        rows.clear();
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(blocks)
}

/// A table's rows as blocks: each row after the first reads
/// `header: value; …` when the first row looks like a header.
pub(super) fn table_blocks(rows: &[Vec<String>], headings: &[String]) -> Vec<Block> {
    let rows: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|c| !c.is_empty())).collect();
    let Some(first) = rows.first() else { return Vec::new() };
    let header = rows.len() > 1 && first.iter().all(|c| !c.is_empty() && c.chars().count() <= 60);
    let header_line = header.then(|| first.join(" | "));
    let body = if header { &rows[1..] } else { &rows[..] };
    body.iter()
        .map(|row| {
            let text = if header {
                row.iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(i, v)| match first.get(i) {
                        Some(h) => format!("{h}: {v}"),
                        None => v.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                row.join(" | ")
            };
            let mut b = Block::new(text, BlockKind::TableRow, headings);
            b.table_header = header_line.clone();
            b
        })
        .collect()
}
