//! IAM's policy language, typed: the identity, trust and resource policies
//! (bucket, queue, topic) sluice writes and the ones it reads back, others'
//! statements included. The grammar is the IAM User Guide's ("IAM JSON policy
//! elements reference", "Grammar of the IAM JSON policy language"): a
//! policy is a version, an optional id and one statement or a list; a
//! statement an optional Sid, an effect, a principal or its negation, an
//! action or its negation, a resource or its negation, and conditions.
//!
//! An element the grammar does not have is refused on reading (AWS refuses
//! it on writing), so a policy read and written back loses nothing. What was
//! one value stays one value and a list stays a list, so a policy sluice
//! writes has the bytes it always had and one read back compares equal.

use std::fmt;

use indexmap::IndexMap;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::POLICY_VERSION;

/// One policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Policy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A policy without statements (a role's trust policy the SDK did not
    /// return reads so) is written as an empty list.
    #[serde(default = "no_statements")]
    pub statement: OneOrMany<Statement>,
}

fn no_statements() -> OneOrMany<Statement> {
    OneOrMany::Many(Vec::new())
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Statement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: Effect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_principal: Option<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Conditions>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// One value, or a list of them: the grammar takes either, and IAM keeps
/// the form it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// A list is a list; anything else is its one value. (Not serde's
/// `untagged`, whose error names no field: this keeps the inner error, as
/// "unknown field `Actions`".)
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_array() {
            Vec::<T>::deserialize(value)
                .map(OneOrMany::Many)
                .map_err(D::Error::custom)
        } else {
            T::deserialize(value)
                .map(OneOrMany::One)
                .map_err(D::Error::custom)
        }
    }
}

impl<T> OneOrMany<T> {
    /// One value for one, a list for more (or none).
    pub fn fit(mut values: Vec<T>) -> Self {
        if values.len() == 1 {
            OneOrMany::One(values.remove(0))
        } else {
            OneOrMany::Many(values)
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one).iter(),
            OneOrMany::Many(many) => many.iter(),
        }
    }

    /// As a list, one value becoming a list of one.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl From<&str> for OneOrMany<String> {
    fn from(value: &str) -> Self {
        OneOrMany::One(value.to_owned())
    }
}

impl From<String> for OneOrMany<String> {
    fn from(value: String) -> Self {
        OneOrMany::One(value)
    }
}

impl From<Vec<String>> for OneOrMany<String> {
    fn from(values: Vec<String>) -> Self {
        OneOrMany::Many(values)
    }
}

impl From<Vec<&str>> for OneOrMany<String> {
    fn from(values: Vec<&str>) -> Self {
        OneOrMany::Many(values.into_iter().map(str::to_owned).collect())
    }
}

/// Who a statement is about: everyone (`"*"`), or principals by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Everyone,
    Of(Principals),
}

/// Principals by type, in the order the IAM User Guide lists the types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principals {
    #[serde(rename = "AWS", default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<OneOrMany<String>>,
    #[serde(rename = "Service", default, skip_serializing_if = "Option::is_none")]
    pub service: Option<OneOrMany<String>>,
    #[serde(rename = "Federated", default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<OneOrMany<String>>,
    #[serde(
        rename = "CanonicalUser",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub canonical_user: Option<OneOrMany<String>>,
}

impl Principal {
    /// An AWS principal: an account's root, a role, a user.
    pub fn aws(arn: impl Into<String>) -> Self {
        Principal::Of(Principals {
            aws: Some(OneOrMany::One(arn.into())),
            ..Principals::default()
        })
    }

    /// An AWS service, by its service principal (`s3.amazonaws.com`).
    pub fn service(name: &str) -> Self {
        Principal::Of(Principals {
            service: Some(OneOrMany::One(name.to_owned())),
            ..Principals::default()
        })
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Everyone => serializer.serialize_str("*"),
            Principal::Of(principals) => principals.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(star) if star == "*" => Ok(Principal::Everyone),
            Value::Object(principals) => Principals::deserialize(Value::Object(principals))
                .map(Principal::Of)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "a principal is \"*\" or principals by type, not {other}"
            ))),
        }
    }
}

/// Conditions: operator (`StringEquals`, `ArnLike`, …) to key to values, in
/// the order written.
pub type Conditions = IndexMap<String, IndexMap<String, OneOrMany<ConditionValue>>>;

/// A condition's value: the grammar takes strings, numbers and booleans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConditionValue {
    Text(String),
    Bool(bool),
    Number(serde_json::Number),
}

/// One condition: `operator` on `key` with `values`.
pub fn condition(operator: &str, key: &str, values: OneOrMany<String>) -> Conditions {
    let mut conditions = Conditions::new();
    and(&mut conditions, operator, key, values);
    conditions
}

/// Adds a condition to others (all must hold).
pub fn and(conditions: &mut Conditions, operator: &str, key: &str, values: OneOrMany<String>) {
    let values = match values {
        OneOrMany::One(one) => OneOrMany::One(ConditionValue::Text(one)),
        OneOrMany::Many(many) => {
            OneOrMany::Many(many.into_iter().map(ConditionValue::Text).collect())
        }
    };
    conditions
        .entry(operator.to_owned())
        .or_default()
        .insert(key.to_owned(), values);
}

impl Statement {
    /// A statement of `effect` with `sid`, on nothing yet.
    pub fn new(sid: impl Into<String>, effect: Effect) -> Self {
        Statement {
            sid: Some(sid.into()),
            effect,
            principal: None,
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
        }
    }

    /// An Allow of `action` on `resource`.
    pub fn allow(
        sid: impl Into<String>,
        action: impl Into<OneOrMany<String>>,
        resource: impl Into<OneOrMany<String>>,
    ) -> Self {
        Statement {
            action: Some(action.into()),
            resource: Some(resource.into()),
            ..Statement::new(sid, Effect::Allow)
        }
    }

    pub fn principal(self, principal: Principal) -> Self {
        Statement {
            principal: Some(principal),
            ..self
        }
    }

    pub fn condition(self, condition: Conditions) -> Self {
        Statement {
            condition: Some(condition),
            ..self
        }
    }

    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The actions it names (none for a NotAction).
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.action
            .iter()
            .flat_map(OneOrMany::iter)
            .map(String::as_str)
    }

    /// The resources it names (none for a NotResource).
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.resource
            .iter()
            .flat_map(OneOrMany::iter)
            .map(String::as_str)
    }
}

/// Why a text is not a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IAM policy document: {0}")]
pub struct PolicyError(String);

impl Policy {
    /// A policy of the current language version with `statements`.
    pub fn new(statements: Vec<Statement>) -> Self {
        Policy {
            version: Some(POLICY_VERSION.to_owned()),
            id: None,
            statement: OneOrMany::Many(statements),
        }
    }

    /// A policy from its JSON text.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        Policy::from_json(&value)
    }

    /// A policy from JSON already parsed: an object (serde would take a
    /// struct from a list too).
    pub fn from_json(value: &Value) -> Result<Self, PolicyError> {
        if !value.is_object() {
            return Err(PolicyError(format!("{value} is not a JSON object")));
        }
        Policy::deserialize(value).map_err(|e| PolicyError(e.to_string()))
    }

    pub fn statements(&self) -> std::slice::Iter<'_, Statement> {
        self.statement.iter()
    }

    /// The statement with `sid`, if any.
    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statements().find(|s| s.sid() == Some(sid))
    }

    /// Puts `ours` (a policy whose statements carry Sids) into `existing`:
    /// statements with our Sids are replaced in place, the rest are kept as
    /// they are, ours that are new are appended. `existing` of `None`
    /// yields `ours`.
    pub fn merge(existing: Option<&Policy>, ours: &Policy) -> Policy {
        let Some(existing) = existing else {
            return ours.clone();
        };
        let mut statements = existing.statement.clone().into_vec();
        for statement in ours.statements() {
            match statements.iter_mut().find(|s| s.sid == statement.sid) {
                Some(slot) => *slot = statement.clone(),
                None => statements.push(statement.clone()),
            }
        }
        Policy {
            statement: OneOrMany::Many(statements),
            ..existing.clone()
        }
    }

    /// The policy without the statement `sid`; `None` when nothing else is left.
    pub fn without(&self, sid: &str) -> Option<Policy> {
        let statements: Vec<Statement> = self
            .statements()
            .filter(|s| s.sid() != Some(sid))
            .cloned()
            .collect();
        (!statements.is_empty()).then(|| Policy {
            statement: OneOrMany::Many(statements),
            ..self.clone()
        })
    }
}

/// The compact JSON text AWS takes.
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_form_of_the_grammar_and_writes_it_back_as_it_was() {
        let text = json!({
            "Version": "2012-10-17",
            "Id": "x",
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": ["arn:aws:s3:::b/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": false},
                               "NumericLessThan": {"s3:max-keys": 10},
                               "StringEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}}},
                {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::1:root"], "CanonicalUser": "c"},
                 "NotAction": ["s3:*"], "NotResource": "*"},
                {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity"}
            ]
        });
        let policy = Policy::from_json(&text).unwrap();
        assert_eq!(serde_json::to_value(&policy).unwrap(), text);
        assert_eq!(policy.statements().count(), 3);
        assert_eq!(
            policy.statement("A").unwrap().actions().collect::<Vec<_>>(),
            ["s3:GetObject"]
        );
        let single = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_eq!(
            serde_json::to_value(Policy::from_json(&single).unwrap()).unwrap(),
            single
        );
    }

    #[test]
    fn refuses_what_the_grammar_does_not_have_rather_than_drop_it() {
        for text in [
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Extra": 1}]}"#,
            r#"{"Statement": [{"Effect": "Maybe", "Action": "*"}]}"#,
            r#"{"Statement": [{"Effect": "Allow", "Principal": "someone"}]}"#,
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"Anyone": "x"}}]}"#,
            r#"{"Version": "2012-10-17", "Statements": []}"#,
            r#"[1, 2]"#,
            r#"["2012-10-17"]"#,
        ] {
            let error = Policy::parse(text).unwrap_err();
            assert!(
                error.to_string().starts_with("not an IAM policy document"),
                "{error}"
            );
        }
        assert_eq!(Policy::parse("{}").unwrap().statements().count(), 0);
    }

    #[test]
    fn merge_replaces_ours_in_place_and_keeps_the_rest() {
        let theirs = Statement::allow("Theirs", "s3:GetObject", "*");
        let old = Statement::allow("Ours", "s3:ListBucket", "*");
        let existing = Policy {
            statement: OneOrMany::One(old),
            ..Policy::new(Vec::new())
        };
        let existing = Policy::merge(Some(&existing), &Policy::new(vec![theirs.clone()]));
        let ours = Policy::new(vec![Statement::allow("Ours", "s3:PutObject", "*")]);
        let merged = Policy::merge(Some(&existing), &ours);
        let sids: Vec<_> = merged.statements().filter_map(Statement::sid).collect();
        assert_eq!(sids, ["Ours", "Theirs"]);
        assert_eq!(
            merged
                .statement("Ours")
                .unwrap()
                .actions()
                .collect::<Vec<_>>(),
            ["s3:PutObject"]
        );
        assert_eq!(Policy::merge(Some(&merged), &ours), merged);
        assert_eq!(Policy::merge(None, &ours), ours);
        assert_eq!(
            merged
                .without("Ours")
                .unwrap()
                .statements()
                .collect::<Vec<_>>(),
            [&theirs]
        );
        assert_eq!(ours.without("Ours"), None);
    }
}
