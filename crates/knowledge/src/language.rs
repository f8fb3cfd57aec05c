//! The language a document is written in, as the name of the PostgreSQL
//! text search configuration that stems it (`simple` when none fits):
//! the script first (Cyrillic, Greek, Arabic, Devanagari, Tamil, Armenian,
//! Hebrew), then, for Latin text, which language's commonest words make up
//! enough of it. Pure; no dictionaries beyond the lists below.

use crate::query::words;

/// Latin-script languages PostgreSQL stems, each with its commonest words
/// (function words that rarely occur in the others' text).
const LATIN: &[(&str, &[&str])] = &[
    (
        "english",
        &[
            "the", "and", "of", "to", "is", "in", "for", "that", "with", "on", "are", "be", "this",
            "as", "by", "it", "was", "from", "or", "which", "an", "not", "have", "has",
        ],
    ),
    (
        "german",
        &[
            "der", "die", "und", "das", "ist", "nicht", "mit", "den", "von", "zu", "sich", "auf",
            "für", "ein", "eine", "dem", "des", "wird", "auch", "werden", "oder", "bei", "sind",
        ],
    ),
    (
        "french",
        &[
            "le", "la", "les", "et", "des", "est", "une", "du", "dans", "pour", "qui", "que",
            "pas", "sur", "au", "avec", "sont", "ce", "par", "il", "aux", "ou", "plus", "nous",
        ],
    ),
    (
        "spanish",
        &[
            "el", "los", "las", "y", "del", "que", "es", "en", "por", "con", "para", "una", "se",
            "su", "como", "al", "más", "pero", "sus", "le", "ya", "está", "son", "lo",
        ],
    ),
    (
        "portuguese",
        &[
            "o", "os", "as", "e", "do", "da", "dos", "das", "que", "em", "um", "uma", "para",
            "com", "não", "é", "por", "mais", "se", "no", "na", "ao", "são", "seu",
        ],
    ),
    (
        "italian",
        &[
            "il", "di", "che", "è", "e", "la", "gli", "della", "per", "non", "del", "un", "una",
            "sono", "con", "nel", "alla", "delle", "si", "anche", "questo", "dei", "ha", "le",
        ],
    ),
    (
        "dutch",
        &[
            "de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "zijn", "voor",
            "met", "die", "er", "ook", "aan", "wordt", "naar", "bij", "maar", "door", "om", "hij",
        ],
    ),
    (
        "swedish",
        &[
            "och", "att", "det", "som", "en", "är", "av", "för", "med", "till", "den", "inte",
            "på", "har", "de", "om", "ett", "var", "jag", "kan", "men", "vi", "ska", "sig",
        ],
    ),
    (
        "danish",
        &[
            "og", "at", "det", "er", "til", "af", "som", "med", "for", "på", "ikke", "har", "den",
            "de", "en", "et", "var", "fra", "kan", "vil", "skal", "eller", "også", "jeg",
        ],
    ),
    (
        "norwegian",
        &[
            "og", "er", "det", "til", "som", "på", "av", "med", "for", "ikke", "har", "en", "et",
            "den", "de", "jeg", "vi", "kan", "skal", "eller", "fra", "ble", "hvor", "også",
        ],
    ),
    (
        "finnish",
        &[
            "ja", "on", "ei", "se", "että", "oli", "ovat", "mutta", "kun", "tai", "myös", "sen",
            "hän", "niin", "kuin", "jos", "ole", "voi", "sitä", "joka", "nyt", "vain", "mukaan",
        ],
    ),
    (
        "indonesian",
        &[
            "yang", "dan", "di", "ini", "dengan", "untuk", "dari", "dalam", "tidak", "akan",
            "pada", "ke", "adalah", "itu", "atau", "juga", "oleh", "sebagai", "kami", "ada",
            "bisa",
        ],
    ),
    (
        "turkish",
        &[
            "ve", "bir", "bu", "da", "de", "için", "ile", "olarak", "daha", "çok", "gibi", "olan",
            "ama", "kadar", "değil", "sonra", "ne", "her", "veya", "olduğu", "mi",
        ],
    ),
    (
        "romanian",
        &[
            "și", "în", "de", "la", "cu", "pe", "este", "să", "nu", "din", "care", "pentru", "un",
            "o", "mai", "sunt", "ca", "fost", "sau", "al", "ale", "lui",
        ],
    ),
    (
        "hungarian",
        &[
            "a", "az", "és", "hogy", "nem", "is", "egy", "van", "meg", "de", "ez", "csak", "már",
            "mint", "vagy", "volt", "kell", "még", "lesz", "amely", "pedig",
        ],
    ),
];

/// Share of a Latin text's words that must be its language's commonest
/// words (English prose runs at 25–35%; word lists, tables and code far
/// lower).
const MIN_SHARE: f64 = 0.08;

/// The text search configuration for `text`: one of PostgreSQL's stemmers
/// (`english`, `german`, `russian`, …) or `simple`.
pub fn detect(text: &str) -> &'static str {
    // Scripts first: letters outside Latin decide on their own.
    let mut letters = 0usize;
    let mut scripts = [0usize; 7];
    for c in text.chars().take(20_000) {
        if !c.is_alphabetic() {
            continue;
        }
        letters += 1;
        let i = match c as u32 {
            0x0400..=0x04FF => 0, // Cyrillic
            0x0370..=0x03FF => 1, // Greek
            0x0600..=0x06FF => 2, // Arabic
            0x0900..=0x097F => 3, // Devanagari
            0x0B80..=0x0BFF => 4, // Tamil
            0x0530..=0x058F => 5, // Armenian
            0x0590..=0x05FF => 6, // Hebrew (Yiddish)
            _ => continue,
        };
        scripts[i] += 1;
    }
    if letters == 0 {
        return "simple";
    }
    let (best, count) =
        scripts.iter().enumerate().max_by_key(|(_, n)| **n).map(|(i, n)| (i, *n)).unwrap_or((0, 0));
    if count * 2 > letters {
        return match best {
            0 => "russian",
            1 => "greek",
            2 => "arabic",
            3 => "hindi",
            4 => "tamil",
            5 => "armenian",
            _ => "yiddish",
        };
    }

    let mut total = 0usize;
    let mut hits = vec![0usize; LATIN.len()];
    for (_, _, w) in words(text).take(5000) {
        total += 1;
        for (i, (_, common)) in LATIN.iter().enumerate() {
            if common.contains(&w.as_str()) {
                hits[i] += 1;
            }
        }
    }
    if total < 20 {
        return "simple";
    }
    let mut ranked: Vec<(usize, usize)> = hits.into_iter().enumerate().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // Ties go to the earlier language of the list: such texts are ones
    // either stems well (Danish and Norwegian share most of their words).
    let (lang, n) = ranked[0];
    if n as f64 >= MIN_SHARE * total as f64 { LATIN[lang].0 } else { "simple" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_languages() {
        let cases = [
            (
                "english",
                "The invoice is due in thirty days and the payment is made to the account of the seller by the buyer for the goods that were delivered.",
            ),
            (
                "german",
                "Die Rechnung ist innerhalb von dreißig Tagen fällig und die Zahlung wird auf das Konto des Verkäufers überwiesen, der die Ware nicht geliefert hat.",
            ),
            (
                "french",
                "La facture est payable dans les trente jours et le paiement est fait sur le compte du vendeur par l'acheteur pour les marchandises qui sont livrées.",
            ),
            (
                "spanish",
                "La factura vence en treinta días y el pago se hace a la cuenta del vendedor por el comprador para los productos que ya están entregados con su nota.",
            ),
            (
                "portuguese",
                "A fatura vence em trinta dias e o pagamento é feito na conta do vendedor pelo comprador para os produtos que não foram entregues com a nota.",
            ),
            (
                "italian",
                "La fattura scade in trenta giorni e il pagamento è fatto sul conto del venditore per le merci che non sono state consegnate con la nota della banca.",
            ),
            (
                "dutch",
                "De factuur moet binnen dertig dagen worden betaald en het bedrag wordt naar de rekening van de verkoper overgemaakt, die de goederen niet heeft geleverd.",
            ),
        ];
        for (want, text) in cases {
            assert_eq!(detect(text), want, "{text}");
        }
    }

    #[test]
    fn scripts_decide_first() {
        assert_eq!(
            detect("Счёт должен быть оплачен в течение тридцати дней на счёт продавца."),
            "russian"
        );
        assert_eq!(detect("चालान का भुगतान तीस दिनों के भीतर विक्रेता के खाते में किया जाना है।"), "hindi");
        assert_eq!(detect("Το τιμολόγιο πρέπει να εξοφληθεί εντός τριάντα ημερών."), "greek");
    }

    #[test]
    fn lists_and_short_texts_stay_simple() {
        assert_eq!(
            detect(
                "Rechnung Zahlung Konto Betrag Datum Steuer Kunde Lieferant Ware Preis Menge Einheit Summe Netto Brutto Rabatt Skonto Frist Mahnung Bank"
            ),
            "simple"
        );
        assert_eq!(detect("GSTIN 27AAPFU0939F1ZV"), "simple");
        assert_eq!(detect(""), "simple");
        assert_eq!(detect("1234 5678 90"), "simple");
    }
}
