//! Schemas of the provider, its resources and data sources. The descriptions are the documentation:
//! `provider/docs/` is generated from them (see [`crate::docs`]).

use rmpv::Value;

use crate::proto::tfplugin6 as pb;
use crate::value;

/// A Terraform (cty) type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Map(Box<Type>),
    Object(Vec<(&'static str, Type)>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// The JSON form Terraform reads in `Schema.Attribute.type`.
    pub fn json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::List(t) => json!(["list", t.json()]),
            Type::Map(t) => json!(["map", t.json()]),
            Type::Object(attrs) => {
                let fields: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, t)| ((*k).to_owned(), t.json()))
                    .collect();
                json!(["object", fields])
            }
        }
    }

    /// How the docs spell the type (`list(string)`).
    pub fn display(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list({})", t.display()),
            Type::Map(t) => format!("map({})", t.display()),
            Type::Object(attrs) => {
                let inner: Vec<String> = attrs
                    .iter()
                    .map(|(k, t)| format!("{k} = {}", t.display()))
                    .collect();
                format!("object({{ {} }})", inner.join(", "))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Required,
    Optional,
    /// Optional; when not configured the provider chooses the value (shown in the plan).
    OptionalComputed,
    Computed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub kind: Kind,
    pub description: &'static str,
    pub sensitive: bool,
    /// Changing it replaces the resource.
    pub force_new: bool,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            ty,
            kind,
            description,
            sensitive: false,
            force_new: false,
        }
    }
    pub fn required(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Required, description)
    }
    pub fn optional(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Optional, description)
    }
    pub fn optional_computed(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Kind::OptionalComputed, description)
    }
    pub fn computed(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Computed, description)
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    fn proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.to_owned(),
            r#type: self.ty.json().to_string().into_bytes(),
            nested_type: None,
            description: self.description.to_owned(),
            required: self.kind == Kind::Required,
            optional: matches!(self.kind, Kind::Optional | Kind::OptionalComputed),
            computed: matches!(self.kind, Kind::OptionalComputed | Kind::Computed),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }
    }
}

/// The schema of the provider block, a resource or a data source.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Markdown; the first paragraph is the summary in the docs.
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn proto(&self) -> pb::Schema {
        pb::Schema {
            version: 0,
            block: Some(pb::schema::Block {
                version: 0,
                attributes: self.attributes.iter().map(Attribute::proto).collect(),
                block_types: Vec::new(),
                description: self.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
            }),
        }
    }

    /// `v` as an object with exactly this schema's attributes (missing ones null, unknown ones dropped),
    /// which is what Terraform expects back in every state and plan.
    pub fn normalize(&self, v: &Value) -> Value {
        if matches!(v, Value::Nil) {
            return Value::Nil;
        }
        let mut out = Value::Map(Vec::with_capacity(self.attributes.len()));
        for a in &self.attributes {
            let field = match v {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_str() == Some(a.name))
                    .map(|(_, v)| v.clone()),
                _ => None,
            };
            value::set(&mut out, a.name, field.unwrap_or(Value::Nil));
        }
        out
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_encode_as_terraform_reads_them() {
        assert_eq!(
            Type::list(Type::String).json().to_string(),
            r#"["list","string"]"#
        );
        assert_eq!(
            Type::map(Type::String).json().to_string(),
            r#"["map","string"]"#
        );
        let obj = Type::Object(vec![("a", Type::Bool), ("b", Type::Number)]);
        assert_eq!(
            obj.json().to_string(),
            r#"["object",{"a":"bool","b":"number"}]"#
        );
        assert_eq!(obj.display(), "object({ a = bool, b = number })");
        assert_eq!(
            Type::list(obj).display(),
            "list(object({ a = bool, b = number }))"
        );
    }

    #[test]
    fn normalize_fills_and_drops_attributes() {
        let s = Schema {
            description: "",
            attributes: vec![
                Attribute::required("a", Type::String, ""),
                Attribute::computed("b", Type::String, ""),
            ],
        };
        let mut v = Value::Map(Vec::new());
        value::set(&mut v, "a", value::string("x"));
        value::set(&mut v, "old", value::string("y"));
        let n = s.normalize(&v);
        let Value::Map(entries) = &n else {
            panic!("object")
        };
        let keys: Vec<_> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
    }
}
