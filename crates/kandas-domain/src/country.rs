//! Countries (SPEC §2.3): a person's citizenship and the country that issued a document, as an
//! ISO 3166-1 alpha-3 code or one of the codes ICAO Doc 9303 adds for travel documents of
//! people without a nationality of their own.

/// A country code from [`ISO_3166_1_ALPHA_3`] or [`ICAO_NON_NATIONALS`], in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode(&'static str);

/// ICAO's code for a stateless person.
pub const STATELESS: &str = "XXA";

/// ICAO Doc 9303 codes that name no state: stateless (`XXA`), refugee under the 1951
/// Convention (`XXB`), other refugee (`XXC`) and unspecified nationality (`XXX`).
pub const ICAO_NON_NATIONALS: [&str; 4] = [STATELESS, "XXB", "XXC", "XXX"];

/// The rule a country code breaks, in words a caller can act on.
pub const RULE: &str = "must be an ISO 3166-1 alpha-3 code (e.g. CHN), or XXA (stateless), XXB or XXC (refugee), XXX (unspecified)";

/// A value that names no country of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{RULE}")]
pub struct UnknownCountry;

impl CountryCode {
    /// Parses a code as a caller gives it: surrounding spaces and letter case do not matter,
    /// anything else does.
    pub fn parse(value: &str) -> Result<CountryCode, UnknownCountry> {
        let code = value.trim().to_ascii_uppercase();
        ISO_3166_1_ALPHA_3
            .binary_search(&code.as_str())
            .map(|i| ISO_3166_1_ALPHA_3[i])
            .or_else(|_| {
                ICAO_NON_NATIONALS
                    .iter()
                    .copied()
                    .find(|c| *c == code)
                    .ok_or(UnknownCountry)
            })
            .map(CountryCode)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Whether a citizenship as recorded means the person holds none: no code (how a stateless
/// person has always been registered) or ICAO's `XXA`.
pub fn is_stateless(citizenship: &str) -> bool {
    let code = citizenship.trim();
    code.is_empty() || code == STATELESS
}

/// The 249 officially assigned ISO 3166-1 alpha-3 codes, sorted.
pub const ISO_3166_1_ALPHA_3: [&str; 249] = [
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_three_upper_case_letters() {
        assert!(ISO_3166_1_ALPHA_3.windows(2).all(|w| w[0] < w[1]));
        for code in ISO_3166_1_ALPHA_3.iter().chain(&ICAO_NON_NATIONALS) {
            assert!(
                code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{code}"
            );
        }
        for code in ICAO_NON_NATIONALS {
            assert!(!ISO_3166_1_ALPHA_3.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_countries_kandas_come_from_parse_in_any_case() {
        for (given, code) in [
            ("CHN", "CHN"),
            ("mng", "MNG"),
            (" Irn ", "IRN"),
            ("UZB", "UZB"),
            ("TKM", "TKM"),
            ("RUS", "RUS"),
            ("TUR", "TUR"),
            ("KAZ", "KAZ"),
        ] {
            assert_eq!(CountryCode::parse(given).map(CountryCode::as_str), Ok(code));
        }
    }

    #[test]
    fn icao_codes_for_people_without_a_nationality_parse() {
        for code in ICAO_NON_NATIONALS {
            assert_eq!(CountryCode::parse(code).map(CountryCode::as_str), Ok(code));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for value in [
            "",
            "   ",
            "CN",
            "China",
            "ZZZ",
            "XXD",
            "SUN",
            "C\u{200B}HN",
            "ＣＨＮ",
            "CHN\0",
        ] {
            assert_eq!(CountryCode::parse(value), Err(UnknownCountry), "{value:?}");
        }
    }

    #[test]
    fn stateless_is_no_code_or_xxa() {
        assert!(is_stateless(""));
        assert!(is_stateless("XXA"));
        assert!(!is_stateless("XXB"));
        assert!(!is_stateless("CHN"));
    }
}
