//! Event tags: the service's mark on every audit event it writes (SPEC §7, decision 1).
//!
//! A hash chain proves only that nobody changed what was sealed; it says nothing about who
//! wrote a row before it was sealed. Whoever can INSERT into the table (a database superuser)
//! could plant an event, backdated, and the sealer would chain and sign it as genuine. So the
//! writer tags each event with an HMAC-SHA256 over its content, under a key the database never
//! holds, and the sealer seals only events whose tag verifies.
//!
//! The key is derived with HKDF-SHA256 from the seed of the audit signing key: no second key
//! file to provision, back up or rotate, and the database (which never sees the signing key)
//! never sees this one either. Rotating the signing key rotates the tag key with it.

use chrono::{DateTime, Utc};
use ring::{hkdf, hmac};

/// What a tag covers; the prefix keeps a tag from meaning anything else.
const DOMAIN: &[u8] = b"kandas audit event tag v1\0";
/// HKDF salt and info: the tag key is bound to this one use of the signing key's seed.
const SALT: &[u8] = b"kandas audit";
const INFO: &[u8] = b"audit event tag key v1";

/// The length of a tag (HMAC-SHA256).
pub const TAG_LEN: usize = 32;

/// The content of one event that its tag covers: everything the writer chooses. The database
/// assigns the id and the chain columns, so they are not covered (the chain covers them).
#[derive(Debug, Clone, Copy)]
pub struct Tagged<'a> {
    pub recorded_at: DateTime<Utc>,
    pub client: &'a str,
    pub role: &'a str,
    pub operator_id: &'a str,
    pub rpc: &'a str,
    pub subject: &'a str,
    pub request_id: &'a str,
    pub outcome: &'a str,
    pub applicant: &'a str,
}

impl Tagged<'_> {
    /// The exact bytes tagged: time in microseconds (as PostgreSQL keeps it) and every field
    /// length-prefixed, so no two different events serialise alike.
    pub fn message(&self) -> Vec<u8> {
        let mut message = Vec::with_capacity(256);
        message.extend_from_slice(DOMAIN);
        message.extend_from_slice(&self.recorded_at.timestamp_micros().to_be_bytes());
        for field in [
            self.client,
            self.role,
            self.operator_id,
            self.rpc,
            self.subject,
            self.request_id,
            self.outcome,
            self.applicant,
        ] {
            message.extend_from_slice(&(field.len() as u64).to_be_bytes());
            message.extend_from_slice(field.as_bytes());
        }
        message
    }
}

/// The time an event is recorded at, as the database will keep it (microseconds), so the tag
/// computed now verifies on the row read back.
pub fn recording_time(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The tag key. Held by the service only; never written anywhere.
pub struct TagKey(hmac::Key);

impl std::fmt::Debug for TagKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TagKey(..)")
    }
}

/// HKDF output length for an HMAC-SHA256 key.
struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

impl TagKey {
    /// The tag key of an Ed25519 signing key with this 32-byte seed.
    pub fn derive(seed: &[u8; 32]) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(seed);
        let mut bytes = [0u8; 32];
        // Expanding 32 bytes from SHA-256 HKDF cannot fail (the limit is 255 × 32).
        if let Ok(okm) = prk.expand(&[INFO], KeyLen) {
            let _ = okm.fill(&mut bytes);
        }
        Self(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }

    pub fn tag(&self, event: &Tagged<'_>) -> Vec<u8> {
        hmac::sign(&self.0, &event.message()).as_ref().to_vec()
    }

    /// Whether `tag` is this key's tag of `event` (compared in constant time).
    pub fn verifies(&self, event: &Tagged<'_>, tag: &[u8]) -> bool {
        hmac::verify(&self.0, &event.message(), tag).is_ok()
    }
}

/// Why the sealer will not seal an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No tag at all: the service did not write it (or wrote it before tags existed).
    Untagged,
    /// A tag that is not this service's tag of this content: planted or altered.
    BadTag,
}

impl Refusal {
    /// Stable name, stored with the refusal and shown in verification.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Untagged => "untagged",
            Refusal::BadTag => "bad_tag",
        }
    }

    pub fn parse(name: &str) -> Option<Refusal> {
        [Refusal::Untagged, Refusal::BadTag]
            .into_iter()
            .find(|r| r.as_str() == name)
    }

    pub fn explain(self) -> &'static str {
        match self {
            Refusal::Untagged => {
                "has no tag: the service did not write it (a row planted in the database)"
            }
            Refusal::BadTag => {
                "has a tag that does not match its content: it was planted or altered before sealing"
            }
        }
    }
}

/// Whether an event may be sealed: `None` when its tag verifies, else why not.
pub fn judge(key: &TagKey, event: &Tagged<'_>, tag: Option<&[u8]>) -> Option<Refusal> {
    match tag {
        None => Some(Refusal::Untagged),
        Some(tag) if key.verifies(event, tag) => None,
        Some(_) => Some(Refusal::BadTag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str) -> Tagged<'_> {
        Tagged {
            recorded_at: DateTime::from_timestamp_micros(1_780_000_000_123_456).unwrap(),
            client: "urn:kandas:psc:almaty-01",
            role: "psc",
            operator_id: "op-1",
            rpc: "/kandas.v1.PersonService/GetPerson",
            subject,
            request_id: "",
            outcome: "OK",
            applicant: "",
        }
    }

    #[test]
    fn an_event_tagged_by_the_service_is_accepted_by_its_sealer() {
        let key = TagKey::derive(&[7; 32]);
        let e = event("persons/a");
        let tag = key.tag(&e);
        assert_eq!(tag.len(), TAG_LEN);
        assert_eq!(judge(&key, &e, Some(&tag)), None);
        assert_eq!(judge(&TagKey::derive(&[7; 32]), &e, Some(&tag)), None);
    }

    #[test]
    fn an_untagged_event_is_refused_as_untagged() {
        let key = TagKey::derive(&[7; 32]);
        assert_eq!(
            judge(&key, &event("persons/framed"), None),
            Some(Refusal::Untagged)
        );
    }

    #[test]
    fn a_tag_of_other_content_time_or_key_is_refused_as_bad() {
        let key = TagKey::derive(&[7; 32]);
        let genuine = event("persons/a");
        let tag = key.tag(&genuine);
        let mut backdated = genuine;
        backdated.recorded_at = DateTime::from_timestamp_micros(1_779_740_800_123_456).unwrap();
        let mut moved = genuine;
        moved.subject = "persons/framed";
        for other in [backdated, moved] {
            assert_eq!(judge(&key, &other, Some(&tag)), Some(Refusal::BadTag));
        }
        let other_key = TagKey::derive(&[8; 32]);
        assert_eq!(
            judge(&other_key, &genuine, Some(&tag)),
            Some(Refusal::BadTag)
        );
        assert_eq!(
            judge(&key, &genuine, Some(&tag[..31])),
            Some(Refusal::BadTag)
        );
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let mut a = event("persons/a");
        a.operator_id = "op";
        a.rpc = "-1/x";
        let mut b = event("persons/a");
        b.operator_id = "op-1";
        b.rpc = "/x";
        assert_ne!(a.message(), b.message());
    }

    #[test]
    fn refusal_names_round_trip() {
        for r in [Refusal::Untagged, Refusal::BadTag] {
            assert_eq!(Refusal::parse(r.as_str()), Some(r));
        }
        assert_eq!(Refusal::parse("other"), None);
    }
}
