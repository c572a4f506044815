//! Documents the service prints, set from typed values by pure functions: no I/O, and a font
//! arrives as the bytes the caller read.

pub mod kandas_certificate;
mod pdf_font;

pub use pdf_font::FontError;
