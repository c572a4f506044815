//! A TrueType font embedded in a PDF as a subset of the glyphs a document uses: a CIDFontType2
//! under a Type0 font with the Identity-H encoding, two bytes a glyph, and a ToUnicode map so
//! that readers extract the text as it was written. The standard 14 fonts only know WinAnsi,
//! which has none of the Cyrillic letters of Kazakh names (Ә Ғ Қ Ң Ө Ұ Ү Һ І).

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// Why a font cannot set a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    #[error("is not a font that can be read ({0})")]
    Unreadable(String),
    #[error("is not a TrueType font (it has no glyf table)")]
    NotTrueType,
    /// The character is not named: it may be a letter of someone's name.
    #[error("has no glyph for a character the document needs")]
    MissingGlyph,
    #[error("could not be subset ({0})")]
    Subset(String),
}

/// Identity-H over the glyph ids of the subset: CID = glyph id.
const IDENTITY: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// A font being used by one document: it encodes text and remembers each glyph it needs.
pub struct TextFont<'a> {
    data: &'a [u8],
    face: Face<'a>,
    glyphs: GlyphRemapper,
    /// For each glyph of the subset, the character it was used for (ToUnicode) and its advance
    /// in thousandths of the font size (the PDF's /W array).
    used: BTreeMap<u16, (char, f32)>,
}

impl<'a> TextFont<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self, FontError> {
        let face = Face::parse(data, 0).map_err(|e| FontError::Unreadable(e.to_string()))?;
        if face.tables().glyf.is_none() {
            return Err(FontError::NotTrueType);
        }
        Ok(Self {
            data,
            face,
            glyphs: GlyphRemapper::new(),
            used: BTreeMap::new(),
        })
    }

    fn glyph(&self, c: char) -> Result<GlyphId, FontError> {
        self.face.glyph_index(c).ok_or(FontError::MissingGlyph)
    }

    /// The advance of glyph `id` in thousandths of the font size.
    fn advance(&self, id: GlyphId) -> f32 {
        let units = f32::from(self.face.glyph_hor_advance(id).unwrap_or(0));
        units * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// How wide `text` is set at `size` points.
    pub fn width(&self, text: &str, size: f32) -> Result<f32, FontError> {
        text.chars().try_fold(0.0, |sum, c| {
            Ok(sum + self.advance(self.glyph(c)?) * size / 1000.0)
        })
    }

    /// `text` as the bytes a content stream shows: each character's glyph in the subset.
    pub fn encode(&mut self, text: &str) -> Result<Vec<u8>, FontError> {
        let mut bytes = Vec::with_capacity(2 * text.len());
        for c in text.chars() {
            let glyph = self.glyph(c)?;
            let cid = self.glyphs.remap(glyph.0);
            let advance = self.advance(glyph);
            // A glyph stands for the first character it was used for; in the certificate's
            // font every character has a glyph of its own.
            self.used.entry(cid).or_insert((c, advance));
            bytes.extend_from_slice(&cid.to_be_bytes());
        }
        Ok(bytes)
    }

    /// Writes the font's objects under references from `next`; returns the font to name in a
    /// page's resources.
    pub fn write(self, pdf: &mut Pdf, next: &mut Ref) -> Result<Ref, FontError> {
        let (type0, cid_font, descriptor, cmap, file) = (
            next.bump(),
            next.bump(),
            next.bump(),
            next.bump(),
            next.bump(),
        );
        let subset = subsetter::subset(self.data, 0, &self.glyphs)
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let base_font = format!("{}+{}", self.subset_tag(), self.postscript_name());
        let base_font = Name(base_font.as_bytes());

        pdf.type0_font(type0)
            .base_font(base_font)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_font)
            .to_unicode(cmap);

        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(IDENTITY)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid.widths();
        for (&glyph, &(_, advance)) in &self.used {
            widths.consecutive(glyph, [advance]);
        }
        widths.finish();
        cid.finish();

        let scale = |units: i16| f32::from(units) * 1000.0 / f32::from(self.face.units_per_em());
        let bbox = self.face.global_bounding_box();
        let mut flags = FontFlags::SYMBOLIC;
        if self.face.is_monospaced() {
            flags |= FontFlags::FIXED_PITCH;
        }
        pdf.font_descriptor(descriptor)
            .name(base_font)
            .flags(flags)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(self.face.italic_angle())
            .ascent(scale(self.face.ascender()))
            .descent(scale(self.face.descender()))
            .cap_height(scale(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            ))
            // Readers only use it to embolden a substitute; the usual regular weight.
            .stem_v(80.0)
            .font_file2(file);

        let mut unicode = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
        for (&glyph, &(c, _)) in &self.used {
            unicode.pair(glyph, c);
        }
        pdf.cmap(cmap, &unicode.finish())
            .name(Name(b"Custom"))
            .system_info(IDENTITY);

        pdf.stream(file, &subset)
            .pair(Name(b"Length1"), subset.len() as i32);
        Ok(type0)
    }

    /// Six capital letters naming this subset (PDF 32000-1 9.6.4), taken from the glyphs it
    /// holds so that the same document gives the same file.
    fn subset_tag(&self) -> String {
        let mut hash = Sha256::new();
        for glyph in self.glyphs.remapped_gids() {
            hash.update(glyph.to_be_bytes());
        }
        hash.finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    /// The font's PostScript name, in the characters a PDF name keeps without escapes.
    fn postscript_name(&self) -> String {
        let name = self
            .face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_default();
        let kept: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(63)
            .collect();
        if kept.is_empty() {
            "Font".to_string()
        } else {
            kept
        }
    }
}
