//! The parts of a SAML 2.0 assertion AssumeRoleWithSAML reports, read without
//! verifying the signature: nimbus trusts every identity provider.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const NAME_ID_FORMAT_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

#[derive(Debug, Default, PartialEq)]
pub struct Assertion {
    pub issuer: Option<String>,
    /// The `NameID` of the subject.
    pub subject: Option<String>,
    /// The `NameID` format, `persistent`/`transient`/... for SAML 2.0 formats.
    pub subject_type: Option<String>,
    /// `Recipient` of `SubjectConfirmationData`, else the `Audience`.
    pub audience: Option<String>,
    pub role_session_name: Option<String>,
    pub session_duration: Option<i32>,
}

/// Which element's text is being read.
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    Nothing,
    Issuer,
    NameId,
    Audience,
    SessionName,
    SessionDuration,
}

/// Parses a base64-encoded SAML response or assertion; `None` if it is neither.
pub fn parse(encoded: &str) -> Option<Assertion> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let xml = String::from_utf8(STANDARD.decode(compact).ok()?).ok()?;
    let mut reader = Reader::from_str(&xml);
    let mut assertion = Assertion::default();
    let mut recipient = None;
    let mut audience = None;
    let mut saw_assertion = false;
    let mut current_attribute = None::<String>;
    let mut reading = Reading::Nothing;
    let mut text = String::new();

    loop {
        match reader.read_event().ok()? {
            Event::Start(element) | Event::Empty(element) => {
                let name = element.local_name();
                match name.as_ref() {
                    b"Assertion" => saw_assertion = true,
                    b"Issuer" if assertion.issuer.is_none() => reading = Reading::Issuer,
                    b"NameID" if assertion.subject.is_none() => {
                        assertion.subject_type = attribute(&element, "Format").map(|format| {
                            format
                                .strip_prefix(NAME_ID_FORMAT_PREFIX)
                                .map_or(format.clone(), str::to_owned)
                        });
                        reading = Reading::NameId;
                    }
                    b"Audience" if audience.is_none() => reading = Reading::Audience,
                    b"SubjectConfirmationData" if recipient.is_none() => {
                        recipient = attribute(&element, "Recipient");
                    }
                    b"Attribute" => current_attribute = attribute(&element, "Name"),
                    b"AttributeValue" => {
                        reading = match current_attribute.as_deref() {
                            Some(ROLE_SESSION_NAME) if assertion.role_session_name.is_none() => {
                                Reading::SessionName
                            }
                            Some(SESSION_DURATION) if assertion.session_duration.is_none() => {
                                Reading::SessionDuration
                            }
                            _ => Reading::Nothing,
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Text(t) if reading != Reading::Nothing => text.push_str(&t.decode().ok()?),
            Event::GeneralRef(r) if reading != Reading::Nothing => match r.resolve_char_ref().ok()? {
                Some(c) => text.push(c),
                None => text.push_str(resolve_predefined_entity(&r.decode().ok()?).unwrap_or_default()),
            },
            Event::End(_) if reading != Reading::Nothing => {
                let value = text.trim().to_owned();
                match reading {
                    Reading::Issuer => assertion.issuer = Some(value),
                    Reading::NameId => assertion.subject = Some(value),
                    Reading::Audience => audience = Some(value),
                    Reading::SessionName => assertion.role_session_name = Some(value),
                    Reading::SessionDuration => assertion.session_duration = value.parse().ok(),
                    Reading::Nothing => {}
                }
                reading = Reading::Nothing;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assertion.audience = recipient.or(audience);
    saw_assertion.then_some(assertion)
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    let value = element.try_get_attribute(name).ok()??;
    value.unescape_value().ok().map(|v| v.into_owned())
}

#[cfg(test)]
pub fn encode(xml: &str) -> String {
    STANDARD.encode(xml)
}

#[cfg(test)]
pub const SAMPLE: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example/</saml:Issuer>
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
    <saml:Issuer>https://idp.example/</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice&amp;co</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData Recipient="https://signin.aws.amazon.com/saml"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions><saml:AudienceRestriction>
      <saml:Audience>urn:amazon:webservices</saml:Audience>
    </saml:AudienceRestriction></saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <saml:AttributeValue>alice@example.com</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration">
        <saml:AttributeValue>1800</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_issuer_subject_audience_and_aws_attributes() {
        assert_eq!(
            parse(&encode(SAMPLE)),
            Some(Assertion {
                issuer: Some("https://idp.example/".into()),
                subject: Some("alice&co".into()),
                subject_type: Some("persistent".into()),
                audience: Some("https://signin.aws.amazon.com/saml".into()),
                role_session_name: Some("alice@example.com".into()),
                session_duration: Some(1800),
            })
        );
    }

    #[test]
    fn rejects_what_is_not_an_assertion() {
        assert_eq!(parse("not base64!"), None);
        assert_eq!(parse(&encode("<html/>")), None);
        assert_eq!(parse(&encode("<a><b></a>")), None);
    }
}
