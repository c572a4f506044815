//! The 20 first-level administrative units of Kazakhstan by ISO 3166-2:KZ code (SPEC 2.2).

use std::fmt;

/// A region, city of republican significance, or the capital.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// KZ-10 Abai.
    Abai,
    /// KZ-11 Akmola.
    Akmola,
    /// KZ-15 Aktobe.
    Aktobe,
    /// KZ-19 Almaty Region (not the city).
    AlmatyRegion,
    /// KZ-23 Atyrau.
    Atyrau,
    /// KZ-27 West Kazakhstan.
    WestKazakhstan,
    /// KZ-31 Zhambyl.
    Zhambyl,
    /// KZ-33 Zhetysu.
    Zhetysu,
    /// KZ-35 Karaganda.
    Karaganda,
    /// KZ-39 Kostanay.
    Kostanay,
    /// KZ-43 Kyzylorda.
    Kyzylorda,
    /// KZ-47 Mangystau.
    Mangystau,
    /// KZ-55 Pavlodar.
    Pavlodar,
    /// KZ-59 North Kazakhstan.
    NorthKazakhstan,
    /// KZ-61 Turkistan.
    Turkistan,
    /// KZ-62 Ulytau.
    Ulytau,
    /// KZ-63 East Kazakhstan.
    EastKazakhstan,
    /// KZ-71 Astana (capital).
    Astana,
    /// KZ-75 Almaty (city).
    Almaty,
    /// KZ-79 Shymkent (city).
    Shymkent,
}

impl Region {
    /// Every region, in ISO code order.
    pub const ALL: [Region; 20] = [
        Region::Abai,
        Region::Akmola,
        Region::Aktobe,
        Region::AlmatyRegion,
        Region::Atyrau,
        Region::WestKazakhstan,
        Region::Zhambyl,
        Region::Zhetysu,
        Region::Karaganda,
        Region::Kostanay,
        Region::Kyzylorda,
        Region::Mangystau,
        Region::Pavlodar,
        Region::NorthKazakhstan,
        Region::Turkistan,
        Region::Ulytau,
        Region::EastKazakhstan,
        Region::Astana,
        Region::Almaty,
        Region::Shymkent,
    ];

    /// Every region, in ISO code order.
    pub fn all() -> &'static [Region; 20] {
        &Region::ALL
    }

    /// ISO 3166-2 code, e.g. "KZ-55".
    pub fn code(&self) -> &'static str {
        match self {
            Region::Abai => "KZ-10",
            Region::Akmola => "KZ-11",
            Region::Aktobe => "KZ-15",
            Region::AlmatyRegion => "KZ-19",
            Region::Atyrau => "KZ-23",
            Region::WestKazakhstan => "KZ-27",
            Region::Zhambyl => "KZ-31",
            Region::Zhetysu => "KZ-33",
            Region::Karaganda => "KZ-35",
            Region::Kostanay => "KZ-39",
            Region::Kyzylorda => "KZ-43",
            Region::Mangystau => "KZ-47",
            Region::Pavlodar => "KZ-55",
            Region::NorthKazakhstan => "KZ-59",
            Region::Turkistan => "KZ-61",
            Region::Ulytau => "KZ-62",
            Region::EastKazakhstan => "KZ-63",
            Region::Astana => "KZ-71",
            Region::Almaty => "KZ-75",
            Region::Shymkent => "KZ-79",
        }
    }

    /// English name as used in SPEC, e.g. "Pavlodar".
    pub fn name(&self) -> &'static str {
        match self {
            Region::Abai => "Abai",
            Region::Akmola => "Akmola",
            Region::Aktobe => "Aktobe",
            Region::AlmatyRegion => "Almaty Region",
            Region::Atyrau => "Atyrau",
            Region::WestKazakhstan => "West Kazakhstan",
            Region::Zhambyl => "Zhambyl",
            Region::Zhetysu => "Zhetysu",
            Region::Karaganda => "Karaganda",
            Region::Kostanay => "Kostanay",
            Region::Kyzylorda => "Kyzylorda",
            Region::Mangystau => "Mangystau",
            Region::Pavlodar => "Pavlodar",
            Region::NorthKazakhstan => "North Kazakhstan",
            Region::Turkistan => "Turkistan",
            Region::Ulytau => "Ulytau",
            Region::EastKazakhstan => "East Kazakhstan",
            Region::Astana => "Astana",
            Region::Almaty => "Almaty",
            Region::Shymkent => "Shymkent",
        }
    }

    /// Kazakh name, e.g. "Павлодар облысы". Every one ends in the possessive "-ы" of
    /// "облысы" or "қаласы", so the case endings of a sentence attach to it alike.
    pub fn name_kk(&self) -> &'static str {
        match self {
            Region::Abai => "Абай облысы",
            Region::Akmola => "Ақмола облысы",
            Region::Aktobe => "Ақтөбе облысы",
            Region::AlmatyRegion => "Алматы облысы",
            Region::Atyrau => "Атырау облысы",
            Region::WestKazakhstan => "Батыс Қазақстан облысы",
            Region::Zhambyl => "Жамбыл облысы",
            Region::Zhetysu => "Жетісу облысы",
            Region::Karaganda => "Қарағанды облысы",
            Region::Kostanay => "Қостанай облысы",
            Region::Kyzylorda => "Қызылорда облысы",
            Region::Mangystau => "Маңғыстау облысы",
            Region::Pavlodar => "Павлодар облысы",
            Region::NorthKazakhstan => "Солтүстік Қазақстан облысы",
            Region::Turkistan => "Түркістан облысы",
            Region::Ulytau => "Ұлытау облысы",
            Region::EastKazakhstan => "Шығыс Қазақстан облысы",
            Region::Astana => "Астана қаласы",
            Region::Almaty => "Алматы қаласы",
            Region::Shymkent => "Шымкент қаласы",
        }
    }

    /// Russian name, e.g. "Павлодарская область".
    pub fn name_ru(&self) -> &'static str {
        match self {
            Region::Abai => "область Абай",
            Region::Akmola => "Акмолинская область",
            Region::Aktobe => "Актюбинская область",
            Region::AlmatyRegion => "Алматинская область",
            Region::Atyrau => "Атырауская область",
            Region::WestKazakhstan => "Западно-Казахстанская область",
            Region::Zhambyl => "Жамбылская область",
            Region::Zhetysu => "область Жетісу",
            Region::Karaganda => "Карагандинская область",
            Region::Kostanay => "Костанайская область",
            Region::Kyzylorda => "Кызылординская область",
            Region::Mangystau => "Мангистауская область",
            Region::Pavlodar => "Павлодарская область",
            Region::NorthKazakhstan => "Северо-Казахстанская область",
            Region::Turkistan => "Туркестанская область",
            Region::Ulytau => "область Ұлытау",
            Region::EastKazakhstan => "Восточно-Казахстанская область",
            Region::Astana => "город Астана",
            Region::Almaty => "город Алматы",
            Region::Shymkent => "город Шымкент",
        }
    }

    /// Region for an exact ISO code such as "KZ-55"; `None` for anything else.
    pub fn parse(code: &str) -> Option<Region> {
        Region::ALL.iter().copied().find(|r| r.code() == code)
    }
}

/// Stored and exchanged as its ISO code, e.g. `"KZ-55"`.
impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Region::parse(&code).ok_or_else(|| {
            serde::de::Error::custom(format!("`{code}` is not an ISO 3166-2:KZ code"))
        })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn twenty_distinct_codes_and_names() {
        let codes: HashSet<_> = Region::ALL.iter().map(Region::code).collect();
        let names: HashSet<_> = Region::ALL.iter().map(Region::name).collect();
        let kk: HashSet<_> = Region::ALL.iter().map(Region::name_kk).collect();
        let ru: HashSet<_> = Region::ALL.iter().map(Region::name_ru).collect();
        assert_eq!(codes.len(), 20);
        assert_eq!(names.len(), 20);
        assert_eq!((kk.len(), ru.len()), (20, 20));
        assert!(
            kk.iter()
                .all(|n| n.ends_with("облысы") || n.ends_with("қаласы"))
        );
        assert!(Region::ALL.windows(2).all(|w| w[0].code() < w[1].code()));
    }

    #[test]
    fn code_round_trip() {
        for r in Region::all() {
            assert_eq!(Region::parse(r.code()), Some(*r));
            assert_eq!(r.to_string(), r.code());
        }
    }

    #[test]
    fn spec_examples() {
        assert_eq!(Region::parse("KZ-55"), Some(Region::Pavlodar));
        assert_eq!(Region::Pavlodar.name(), "Pavlodar");
        assert_eq!(
            Region::parse("KZ-19").map(|r| r.name()),
            Some("Almaty Region")
        );
        assert_eq!(Region::parse("KZ-75").map(|r| r.name()), Some("Almaty"));
        assert_eq!(Region::parse("KZ-71"), Some(Region::Astana));
    }

    #[test]
    fn unknown_codes_are_rejected() {
        for bad in ["", "KZ-00", "kz-55", "KZ-55 ", "55", "KZ-5", "Pavlodar"] {
            assert_eq!(Region::parse(bad), None, "{bad}");
        }
    }
}
