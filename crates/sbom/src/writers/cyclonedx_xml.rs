//! CycloneDX 1.6 XML (namespace `http://cyclonedx.org/schema/bom/1.6`), written with quick-xml's
//! writer. The content is the JSON writer's ([`super::cyclonedx`]): metadata tools, root component
//! and properties; components with bom-ref, group, name, version, scope, hashes, licenses, purl,
//! `chainproof:*` properties and evidence occurrences; the dependency graph. Elements follow the
//! schema's sequence order. The `serialNumber` is the JSON document's (derived from the content), so
//! the two serialisations of one SBOM name the same BOM.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{Tool, looks_like_expression};
use crate::{Component, Sbom};

pub const NAMESPACE: &str = "http://cyclonedx.org/schema/bom/1.6";

type W = Writer<Vec<u8>>;

/// `text` with the characters XML 1.0 cannot carry at all (C0 controls other than tab, newline and
/// carriage return; U+FFFE, U+FFFF), even escaped, replaced by U+FFFD.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if text.chars().any(bad) {
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// `<name>text</name>`.
fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_safe(value)))?;
    Ok(())
}

/// `<properties><property name="..">..</property>...</properties>`, nothing when empty.
fn properties(w: &mut W, props: &[(String, String)]) -> io::Result<()> {
    if props.is_empty() {
        return Ok(());
    }
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in props {
            w.create_element("property")
                .with_attribute(("name", xml_safe(name).as_ref()))
                .write_text_content(BytesText::new(&xml_safe(value)))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The `chainproof:*` properties and the scope of a component, as the JSON writer derives them.
fn facts(c: &Component, is_root: bool) -> (Vec<(String, String)>, Option<&'static str>) {
    let mut props: Vec<(String, String)> = c
        .properties
        .iter()
        .map(|(k, v)| (format!("chainproof:{k}"), v.clone()))
        .collect();
    if is_root {
        return (props, None);
    }
    props.push(("chainproof:dependency".into(), c.scope.as_str().into()));
    if c.dev {
        props.push(("chainproof:dev".into(), "true".into()));
    }
    if c.optional {
        props.push(("chainproof:optional".into(), "true".into()));
    }
    let scope = if c.dev {
        "excluded"
    } else if c.optional {
        "optional"
    } else {
        "required"
    };
    (props, Some(scope))
}

fn component(w: &mut W, c: &Component, is_root: bool) -> io::Result<()> {
    let (group, name) = crate::purl::split(c.ecosystem, &c.name);
    let (props, scope) = facts(c, is_root);
    let bom_ref = xml_safe(c.bom_ref());
    // As in JSON: an image root (`pkg:oci/...`) is a container.
    let ty = match (is_root, c.purl.starts_with("pkg:oci/")) {
        (true, true) => "container",
        (true, false) => "application",
        (false, _) => "library",
    };
    w.create_element("component")
        .with_attribute(("type", ty))
        .with_attribute(("bom-ref", bom_ref.as_ref()))
        .write_inner_content(|w| {
            if let Some(g) = group {
                text(w, "group", g)?;
            }
            text(w, "name", name)?;
            if !c.version.is_empty() {
                text(w, "version", &c.version)?;
            }
            if let Some(s) = scope {
                text(w, "scope", s)?;
            }
            if !c.hashes.is_empty() {
                w.create_element("hashes").write_inner_content(|w| {
                    for h in &c.hashes {
                        w.create_element("hash")
                            .with_attribute(("alg", h.alg.cyclonedx()))
                            .write_text_content(BytesText::new(&xml_safe(&h.hex)))?;
                    }
                    Ok(())
                })?;
            }
            if !c.licenses.is_empty() {
                w.create_element("licenses").write_inner_content(|w| {
                    // One expression, or any number of named licenses (never a mix), as in JSON.
                    match c.licenses.iter().collect::<Vec<_>>().as_slice() {
                        [one] if looks_like_expression(one) => text(w, "expression", one),
                        all => {
                            for l in all {
                                w.create_element("license")
                                    .write_inner_content(|w| text(w, "name", l))?;
                            }
                            Ok(())
                        }
                    }
                })?;
            }
            text(w, "purl", &c.purl)?;
            properties(w, &props)?;
            if !c.sources.is_empty() {
                w.create_element("evidence").write_inner_content(|w| {
                    w.create_element("occurrences").write_inner_content(|w| {
                        for s in &c.sources {
                            w.create_element("occurrence")
                                .write_inner_content(|w| text(w, "location", s))?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn document(w: &mut W, sbom: &Sbom, tool: &Tool<'_>, created: u64, serial: &str) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let meta_props: Vec<(String, String)> = sbom
        .errors
        .iter()
        .map(|e| ("chainproof:unreadable".to_string(), e.to_string()))
        .chain(sbom.unlocked.iter().map(|m| {
            (
                "chainproof:manifest-without-lockfile".to_string(),
                m.clone(),
            )
        }))
        .collect();
    w.create_element("bom")
        .with_attribute(("xmlns", NAMESPACE))
        .with_attribute(("serialNumber", serial))
        .with_attribute(("version", "1"))
        .write_inner_content(|w| {
            w.create_element("metadata").write_inner_content(|w| {
                text(w, "timestamp", &super::spdx::format_timestamp(created))?;
                w.create_element("tools").write_inner_content(|w| {
                    w.create_element("components").write_inner_content(|w| {
                        w.create_element("component")
                            .with_attribute(("type", "application"))
                            .write_inner_content(|w| {
                                text(w, "name", tool.name)?;
                                text(w, "version", tool.version)
                            })?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
                component(w, &sbom.root, true)?;
                properties(w, &meta_props)
            })?;
            w.create_element("components").write_inner_content(|w| {
                for c in sbom.components.values() {
                    component(w, c, false)?;
                }
                Ok(())
            })?;
            w.create_element("dependencies").write_inner_content(|w| {
                for (from, to) in &sbom.edges {
                    let from = xml_safe(from);
                    let dep = w
                        .create_element("dependency")
                        .with_attribute(("ref", from.as_ref()));
                    if to.is_empty() {
                        dep.write_empty()?;
                    } else {
                        dep.write_inner_content(|w| {
                            for t in to {
                                w.create_element("dependency")
                                    .with_attribute(("ref", xml_safe(t).as_ref()))
                                    .write_empty()?;
                            }
                            Ok(())
                        })?;
                    }
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

/// The serial number the JSON writer gives the same SBOM.
fn serial_number(sbom: &Sbom, tool: &Tool<'_>, created: u64) -> String {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "serialNumber")]
        serial_number: String,
    }
    serde_json::from_str::<Head>(&super::cyclonedx::to_string(sbom, tool, created))
        .map(|h| h.serial_number)
        .unwrap_or_default()
}

/// The document as indented XML with a trailing newline.
pub fn to_string(sbom: &Sbom, tool: &Tool<'_>, created: u64) -> String {
    let serial = serial_number(sbom, tool, created);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = document(&mut w, sbom, tool, created, &serial);
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::{Ecosystem, Hash, HashAlg, Lockfile, Scope};

    fn sample() -> Sbom {
        let root = Component::new(Ecosystem::Npm, "app", "1.0.0", "package-lock.json");
        let mut a = Component::new(Ecosystem::Npm, "@s/a", "2.0.0", "package-lock.json");
        a.scope = Scope::Direct;
        a.hashes.insert(Hash {
            alg: HashAlg::Sha512,
            hex: "ab".repeat(64),
        });
        a.licenses.insert("MIT".into());
        let mut b = Component::new(Ecosystem::Npm, "b", "3.0.0", "package-lock.json")
            .property("note", "x < y & \"z\"\u{1}");
        b.dev = true;
        b.licenses
            .extend(["MIT".to_string(), "SEE LICENSE".to_string()]);
        let edges = BTreeMap::from([
            (root.purl.clone(), BTreeSet::from([a.purl.clone()])),
            (a.purl.clone(), BTreeSet::from([b.purl.clone()])),
        ]);
        Sbom::build(
            "dir",
            vec![Lockfile {
                path: "package-lock.json".into(),
                root,
                components: vec![a, b],
                edges,
            }],
            vec![crate::InputError::file("broken/Cargo.lock", "bad")],
        )
    }

    fn tool() -> Tool<'static> {
        Tool {
            name: "chainproof",
            version: "0.0.0",
        }
    }

    #[test]
    fn elements_in_schema_order_and_escaped() {
        let xml = to_string(&sample(), &tool(), 0);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"urn:uuid:"), "{xml}");
        assert!(xml.contains(
            "<component type=\"library\" bom-ref=\"pkg:npm/%40s/a@2.0.0\">\n      <group>@s</group>\n      <name>a</name>\n      <version>2.0.0</version>\n      <scope>required</scope>\n      <hashes>\n        <hash alg=\"SHA-512\">abab"
        ), "{xml}");
        assert!(xml.contains("<licenses>\n        <expression>MIT</expression>\n      </licenses>\n      <purl>pkg:npm/%40s/a@2.0.0</purl>"), "{xml}");
        // Two licenses, one not an expression: both named.
        assert!(
            xml.contains("<license>\n          <name>MIT</name>\n        </license>\n        <license>\n          <name>SEE LICENSE</name>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<property name=\"chainproof:note\">x &lt; y &amp; &quot;z&quot;\u{FFFD}</property>"
            ),
            "{xml}"
        );
        assert!(xml.contains("<scope>excluded</scope>"));
        assert!(
            xml.contains(
                "<property name=\"chainproof:unreadable\">broken/Cargo.lock: bad</property>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<occurrence>\n            <location>package-lock.json</location>"),
            "{xml}"
        );
        assert!(xml.contains(
            "<dependency ref=\"pkg:npm/%40s/a@2.0.0\">\n      <dependency ref=\"pkg:npm/b@3.0.0\"/>\n    </dependency>\n    <dependency ref=\"pkg:npm/app@1.0.0\">"
        ), "{xml}");
        assert!(
            xml.contains("<dependency ref=\"pkg:npm/b@3.0.0\"/>\n  </dependencies>"),
            "{xml}"
        );
        assert!(xml.ends_with("</bom>\n"));
    }

    #[test]
    fn an_image_root_is_a_container() {
        let mut sbom = sample();
        sbom.root = Component::new(Ecosystem::Generic, "x", "", "");
        sbom.root.purl = "pkg:oci/app@sha256%3Aab".into();
        let xml = to_string(&sbom, &tool(), 0);
        assert!(
            xml.contains("<component type=\"container\" bom-ref=\"pkg:oci/app@sha256%3Aab\">"),
            "{xml}"
        );
    }

    #[test]
    fn serial_number_is_the_json_documents() {
        let sbom = sample();
        let xml = to_string(&sbom, &tool(), 0);
        let json: serde_json::Value =
            serde_json::from_str(&super::super::cyclonedx::to_string(&sbom, &tool(), 0))
                .expect("json");
        let serial = json["serialNumber"].as_str().expect("serial");
        assert!(serial.starts_with("urn:uuid:"));
        assert!(xml.contains(&format!("serialNumber=\"{serial}\"")));
        assert_eq!(xml, to_string(&sbom, &tool(), 0));
    }
}
