//! A kandas certificate as the PDF a front office hands the applicant on re-issue (SPEC 5.7):
//! one A4 page with the number, the holder, the validity, the deciding body and the
//! verification code, in Kazakh and English with a Russian title. The same certificate and
//! font give the same bytes: the file carries no creation time and its subset is named after
//! the glyphs it holds.

use super::pdf_font::{FontError, TextFont};
use crate::domain::verification_code::VerificationCode;
use chrono::NaiveDate;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// What a re-issued certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KandasCertificate {
    /// E.g. `KC-2026-000042`; shared by a grant and its extensions.
    pub number: String,
    pub holder: Holder,
    pub valid_from: NaiveDate,
    /// The last day valid (inclusive).
    pub valid_until: NaiveDate,
    /// Whether the decision printed is an extension rather than the grant.
    pub extension: bool,
    pub decision_date: NaiveDate,
    /// The deciding commission, by its registered display name.
    pub decided_by: String,
    pub code: VerificationCode,
    /// The day of this download.
    pub issued_on: NaiveDate,
}

/// The holder as the person's record names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub surname: String,
    pub given_name: String,
    /// Empty when the person has none.
    pub patronymic: String,
    /// `None` until an IIN is assigned.
    pub iin: Option<String>,
    pub birth_date: NaiveDate,
}

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
/// Where values start, right of their labels.
const VALUE_X: f32 = 250.0;
const FONT: Name<'static> = Name(b"F1");

/// Dates as Kazakhstan's documents print them.
fn printed(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// The certificate as a one-page PDF set in `font` (TrueType bytes).
pub fn render(certificate: &KandasCertificate, font: &[u8]) -> Result<Vec<u8>, FontError> {
    let mut page = Page {
        font: TextFont::parse(font)?,
        content: Content::new(),
    };
    page.write(certificate)?;
    let Page { font, content } = page;

    let mut next = Ref::new(1);
    let (catalog, pages, page_id, contents, info) = (
        next.bump(),
        next.bump(),
        next.bump(),
        next.bump(),
        next.bump(),
    );
    let mut pdf = Pdf::new();
    let font = font.write(&mut pdf, &mut next)?;
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    let mut sheet = pdf.page(page_id);
    sheet
        .media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
        .parent(pages)
        .contents(contents);
    sheet.resources().fonts().pair(FONT, font);
    sheet.finish();
    pdf.stream(contents, &content.finish());
    let title = format!("Certificate of kandas status {}", certificate.number);
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("kandas"));
    Ok(pdf.finish())
}

/// The page being set: text shown in the one embedded font.
struct Page<'a> {
    font: TextFont<'a>,
    content: Content,
}

impl Page<'_> {
    fn write(&mut self, c: &KandasCertificate) -> Result<(), FontError> {
        let mut y = 770.0;
        self.centered(y, 20.0, "ҚАНДАС КУӘЛІГІ")?;
        y -= 24.0;
        self.centered(y, 13.0, "УДОСТОВЕРЕНИЕ КАНДАСА")?;
        y -= 18.0;
        self.centered(y, 13.0, "Certificate of kandas status")?;
        y -= 32.0;
        self.centered(y, 15.0, &format!("№ {}", c.number))?;
        y -= 20.0;
        self.rule(y);
        y -= 30.0;

        let holder = &c.holder;
        let none = "—".to_string();
        let decision = if c.extension {
            "Extension of kandas status"
        } else {
            "Assignment of kandas status"
        };
        let rows = [
            ("Тегі / Surname", holder.surname.clone()),
            ("Аты / Given name", holder.given_name.clone()),
            (
                "Әкесінің аты / Patronymic",
                if holder.patronymic.is_empty() {
                    none.clone()
                } else {
                    holder.patronymic.clone()
                },
            ),
            (
                "ЖСН / IIN",
                holder
                    .iin
                    .clone()
                    .unwrap_or_else(|| "тағайындалмаған / not assigned".into()),
            ),
            ("Туған күні / Date of birth", printed(holder.birth_date)),
            (
                "Жарамды / Valid",
                format!("{} – {}", printed(c.valid_from), printed(c.valid_until)),
            ),
            (
                "Шешім / Decision",
                format!("{decision}, {}", printed(c.decision_date)),
            ),
            ("Шешім қабылдаған / Decided by", c.decided_by.clone()),
            ("Берілген күні / Issued on", printed(c.issued_on)),
        ];
        for (label, value) in rows {
            self.text(MARGIN, y, 10.0, label)?;
            let width = PAGE.0 - MARGIN - VALUE_X;
            y = self.wrapped(VALUE_X, y, 12.0, width, 15.0, &value)? - 26.0;
        }
        y += 6.0;
        self.rule(y);
        y -= 30.0;

        self.text(MARGIN, y, 10.0, "Тексеру коды / Verification code")?;
        self.text(VALUE_X, y - 2.0, 18.0, &c.code.to_string())?;
        y -= 34.0;
        let how = "To verify this certificate, any office connected to the kandas service calls \
                   VerifyKandasCertificate (kandas.v1.PersonService) with this code. The answer \
                   gives the certificate number, its validity, the deciding body and whether it \
                   is valid, expired or annulled today; it names no one, so compare the number \
                   and the dates with this paper.";
        let width = PAGE.0 - 2.0 * MARGIN;
        self.wrapped(MARGIN, y, 9.5, width, 13.0, how)?;
        Ok(())
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) -> Result<(), FontError> {
        let shown = self.font.encode(text)?;
        self.content
            .begin_text()
            .set_font(FONT, size)
            .next_line(x, y)
            .show(Str(&shown))
            .end_text();
        Ok(())
    }

    fn centered(&mut self, y: f32, size: f32, text: &str) -> Result<(), FontError> {
        let width = self.font.width(text, size)?;
        self.text((PAGE.0 - width) / 2.0, y, size, text)
    }

    /// Sets `text` from `y` down in lines no wider than `width`, broken between words; returns
    /// the baseline of its last line. A word wider than a line keeps a line of its own.
    fn wrapped(
        &mut self,
        x: f32,
        mut y: f32,
        size: f32,
        width: f32,
        leading: f32,
        text: &str,
    ) -> Result<f32, FontError> {
        let mut line = String::new();
        for word in text.split_whitespace() {
            let longer = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.font.width(&longer, size)? > width {
                self.text(x, y, size, &line)?;
                y -= leading;
                line = word.to_string();
            } else {
                line = longer;
            }
        }
        if !line.is_empty() {
            self.text(x, y, size, &line)?;
        }
        Ok(y)
    }

    /// A thin line across the page between the margins.
    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(0.5)
            .move_to(MARGIN, y)
            .line_to(PAGE.0 - MARGIN, y)
            .stroke();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verification_code::RANDOM_BYTES;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn certificate() -> KandasCertificate {
        KandasCertificate {
            number: "KC-2026-000042".into(),
            holder: Holder {
                surname: "Әбілқасымова".into(),
                given_name: "Айгүл".into(),
                patronymic: "Серікқызы".into(),
                iin: Some("871008401427".into()),
                birth_date: day(1987, 10, 8),
            },
            valid_from: day(2026, 6, 1),
            valid_until: day(2027, 6, 1),
            extension: false,
            decision_date: day(2026, 6, 1),
            decided_by: "Павлодар облысы әкімдігінің комиссиясы".into(),
            code: VerificationCode::from_random([7; RANDOM_BYTES]),
            issued_on: day(2026, 6, 3),
        }
    }

    /// The font the service defaults to: without it nothing here can be rendered, so its
    /// absence fails with what to install rather than passing untested.
    fn system_font() -> Vec<u8> {
        let path = crate::config::DEFAULT_CERTIFICATE_FONT;
        std::fs::read(path).unwrap_or_else(|e| {
            panic!("{path}: {e}; install it with `apt-get install fonts-dejavu-core`")
        })
    }

    #[test]
    fn the_same_certificate_gives_the_same_file() {
        let font = system_font();
        let first = render(&certificate(), &font).unwrap();
        assert!(first.starts_with(b"%PDF-1.7"));
        assert_eq!(render(&certificate(), &font).unwrap(), first);
        // The subset, not the whole font, is embedded.
        assert!(first.len() < font.len() / 4, "{} bytes", first.len());
    }

    #[test]
    fn a_character_the_font_lacks_is_refused_rather_than_misprinted() {
        let font = system_font();
        let mut unprintable = certificate();
        unprintable.holder.given_name = "阿依古丽".into();
        assert_eq!(render(&unprintable, &font), Err(FontError::MissingGlyph));
    }

    #[test]
    fn bytes_that_are_no_font_are_refused() {
        assert!(matches!(
            render(&certificate(), b"not a font"),
            Err(FontError::Unreadable(_))
        ));
    }
}
