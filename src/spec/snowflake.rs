//! Step 2 of Snowflake's setup: the values Snowflake gives, read from the
//! results a user saves in Snowflake and checked before they go into the spec.
//!
//! `DESC INTEGRATION` ("Option 1: Configuring a Snowflake storage integration
//! to access Amazon S3", docs.snowflake.com/en/user-guide/data-load-s3-config-storage-integration)
//! answers with one row per property, in the columns `property`,
//! `property_type`, `property_value` and `property_default`: the role trusts
//! its `STORAGE_AWS_IAM_USER_ARN` with its `STORAGE_AWS_EXTERNAL_ID`.
//! `SHOW PIPES` ("Automating Snowpipe for Amazon S3",
//! docs.snowflake.com/en/user-guide/data-load-snowpipe-auto-s3) has a
//! `notification_channel` column: the SQS queue the bucket notifies.
//!
//! A result is read as Snowsight and SnowSQL save it: CSV or TSV with a
//! header row, SnowSQL's boxed table (`| property | … |`), or JSON (an
//! array of rows as objects).

use serde_json::Value;

use super::{Setting, path, validate};

/// DESC INTEGRATION's property naming the IAM user Snowflake assumes the role as.
pub const IAM_USER_ARN: &str = "STORAGE_AWS_IAM_USER_ARN";
/// DESC INTEGRATION's property naming the external ID Snowflake sends.
pub const EXTERNAL_ID: &str = "STORAGE_AWS_EXTERNAL_ID";
/// SHOW PIPES' column naming the pipe's queue.
pub const NOTIFICATION_CHANNEL: &str = "notification_channel";

/// The values of the storage integration the role trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub iam_user_arn: String,
    pub external_id: String,
}

/// A saved result: its column names (lower case) and its rows.
#[derive(Debug, Default)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The index of column `name`, or why it cannot be read.
    fn require(&self, name: &str, what: &str) -> Result<usize, String> {
        self.column(name).ok_or_else(|| {
            if self.columns.is_empty() {
                format!("holds no table: expected {what} with a `{name}` column")
            } else {
                format!(
                    "has no `{name}` column (its columns: {}): expected {what}",
                    self.columns.join(", ")
                )
            }
        })
    }
}

/// Reads a saved result in any of the forms the module names.
fn read_table(text: &str) -> Result<Table, String> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.starts_with('[') || text.starts_with('{') {
        return json_table(text);
    }
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let Some(first) = lines.first() else {
        return Ok(Table::default());
    };
    let records: Vec<Vec<String>> = if first.starts_with(['+', '|']) {
        // SnowSQL's table: `+---+` rules, `|---|` under the header.
        lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| l.starts_with('|') && !l.starts_with("|-"))
            .map(|l| {
                l.trim_matches('|')
                    .split('|')
                    .map(|cell| cell.trim().to_owned())
                    .collect()
            })
            .collect()
    } else {
        let delimiter = if first.contains('\t') { '\t' } else { ',' };
        records(text, delimiter)?
    };
    let mut records = records.into_iter();
    let columns = records
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    Ok(Table {
        columns,
        rows: records.collect(),
    })
}

/// CSV or TSV records: a field in double quotes may hold the delimiter
/// and line breaks (SHOW PIPES' definition may span lines), and `""` inside
/// it stands for a quote. Blank lines are skipped.
fn records(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    let mut opened_at = 0;
    let end_field = |field: &mut String, record: &mut Vec<String>| {
        record.push(std::mem::take(field).trim().to_owned());
    };
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                opened_at = line;
            }
            '\n' if quoted => {
                line += 1;
                field.push('\n');
            }
            '\r' if !quoted => {}
            '\n' => {
                line += 1;
                end_field(&mut field, &mut record);
                if record.iter().any(|f| !f.is_empty()) {
                    out.push(std::mem::take(&mut record));
                }
                record.clear();
            }
            c if c == delimiter && !quoted => end_field(&mut field, &mut record),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "the quoted field opened on line {opened_at} is never closed"
        ));
    }
    end_field(&mut field, &mut record);
    if record.iter().any(|f| !f.is_empty()) {
        out.push(record);
    }
    Ok(out)
}

/// A JSON result: an array of rows as objects (or a single object), keys
/// in any case.
fn json_table(text: &str) -> Result<Table, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let rows = match value {
        Value::Array(rows) => rows,
        one @ Value::Object(_) => vec![one],
        _ => return Err("JSON that is not an array of rows".to_owned()),
    };
    let mut table = Table::default();
    for row in &rows {
        let Value::Object(map) = row else {
            return Err("a JSON row that is not an object".to_owned());
        };
        for key in map.keys() {
            let key = key.to_ascii_lowercase();
            if !table.columns.contains(&key) {
                table.columns.push(key);
            }
        }
    }
    for row in &rows {
        let Value::Object(map) = row else { continue };
        let mut cells = vec![String::new(); table.columns.len()];
        for (key, value) in map {
            if let Some(i) = table.column(&key.to_ascii_lowercase()) {
                cells[i] = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
            }
        }
        table.rows.push(cells);
    }
    Ok(table)
}

/// Reads `STORAGE_AWS_IAM_USER_ARN` and `STORAGE_AWS_EXTERNAL_ID` from a
/// saved DESC INTEGRATION result; `Err` names what is missing or wrong.
pub fn parse_desc_integration(text: &str) -> Result<Integration, String> {
    const WHAT: &str = "DESC INTEGRATION's result (columns property, property_type, property_value, property_default)";
    let table = read_table(text)?;
    let property = table.require("property", WHAT)?;
    let value = table.require("property_value", WHAT)?;
    let get = |name: &str| -> Result<String, String> {
        let found = table
            .rows
            .iter()
            .find(|row| {
                row.get(property)
                    .is_some_and(|p| p.eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| {
                format!("has no {name} row: expected {WHAT} for a storage integration of Amazon S3")
            })?;
        match found.get(value).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(format!("its {name} row has no property_value")),
        }
    };
    let integration = Integration {
        iam_user_arn: get(IAM_USER_ARN)?,
        external_id: get(EXTERNAL_ID)?,
    };
    iam_user_arn(&integration.iam_user_arn).map_err(|e| format!("{IAM_USER_ARN}: {e}"))?;
    validate::external_id(&integration.external_id).map_err(|e| format!("{EXTERNAL_ID}: {e}"))?;
    Ok(integration)
}

/// Reads the pipe's `notification_channel` from a saved SHOW PIPES result.
/// With several pipes, the one named `pipe` (case aside) is taken; with one
/// pipe, that one.
pub fn parse_show_pipes(text: &str, pipe: &str) -> Result<String, String> {
    const WHAT: &str = "SHOW PIPES' result";
    let table = read_table(text)?;
    let channel = table.require(NOTIFICATION_CHANNEL, WHAT)?;
    let name = table.column("name");
    let named = |row: &Vec<String>| {
        name.and_then(|i| row.get(i))
            .map(|n| n.trim_matches('"'))
            .is_some_and(|n| n.eq_ignore_ascii_case(pipe))
    };
    let row = match table.rows.as_slice() {
        [] => return Err(format!("has no pipe: expected {WHAT} with the pipe {pipe}")),
        [one] => one,
        rows => rows.iter().find(|r| named(r)).ok_or_else(|| {
            let names: Vec<&str> = rows
                .iter()
                .filter_map(|r| name.and_then(|i| r.get(i)).map(String::as_str))
                .collect();
            format!(
                "lists {} pipes ({}) and none named {pipe}: save SHOW PIPES LIKE '{pipe}', or pass --notification-channel ARN",
                rows.len(),
                names.join(", ")
            )
        })?,
    };
    match row.get(channel).map(|c| c.trim()) {
        Some(c) if !c.is_empty() && c != "NULL" => Ok(c.to_owned()),
        _ => Err(format!(
            "the pipe has no {NOTIFICATION_CHANNEL}: only a pipe made with AUTO_INGEST = TRUE has one"
        )),
    }
}

/// An IAM user's ARN, as DESC INTEGRATION gives STORAGE_AWS_IAM_USER_ARN:
/// `arn:PARTITION:iam::ACCOUNT:user/NAME`.
pub fn iam_user_arn(arn: &str) -> Result<(), String> {
    let is_user = arn
        .splitn(6, ':')
        .nth(5)
        .and_then(|resource| resource.strip_prefix("user/"))
        .is_some_and(|name| !name.is_empty());
    match validate::principal(arn) {
        Ok(()) if is_user => Ok(()),
        _ => Err(format!(
            "`{arn}` is not an IAM user's ARN (arn:aws:iam::ACCOUNT:user/NAME)"
        )),
    }
}

/// Snowflake's queue for a bucket in `region`: an SQS ARN in that region
/// (S3 notifies only a queue in the bucket's own region).
pub fn notification_channel(arn: &str, region: &str) -> Result<(), String> {
    validate::foreign_queue_arn(arn, region)
}

/// The settings that put Snowflake's values into the spec: the role's one
/// trusted principal and its external ID, and the queue the bucket notifies.
pub fn settings(integration: Option<&Integration>, channel: Option<&str>) -> Vec<Setting> {
    let mut out = Vec::new();
    if let Some(i) = integration {
        out.push(Setting {
            path: path::ROLE_TRUSTED_PRINCIPALS.to_owned(),
            value: Value::Array(vec![Value::String(i.iam_user_arn.clone())]),
        });
        out.push(Setting {
            path: path::ROLE_EXTERNAL_ID.to_owned(),
            value: Value::String(i.external_id.clone()),
        });
    }
    if let Some(c) = channel {
        out.push(Setting {
            path: path::NOTIFICATION_QUEUE_ARN.to_owned(),
            value: Value::String(c.to_owned()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "arn:aws:iam::210987654321:user/abc1-b-self1234";
    const EXT: &str = "MYACCOUNT_SFCRole=2_a123456/s0aBCDEfGHIJklmNoPq=";

    fn desc_csv() -> String {
        format!(
            "property,property_type,property_value,property_default\n\
             ENABLED,Boolean,true,false\n\
             STORAGE_PROVIDER,String,S3,\n\
             STORAGE_ALLOWED_LOCATIONS,List,\"s3://b/load/,s3://b/more/\",[]\n\
             STORAGE_AWS_IAM_USER_ARN,String,{USER},\n\
             STORAGE_AWS_ROLE_ARN,String,arn:aws:iam::123456789012:role/sfk-snowflake-role,\n\
             STORAGE_AWS_EXTERNAL_ID,String,{EXT},\n\
             COMMENT,String,,\n"
        )
    }

    #[test]
    fn desc_integration_reads_from_csv_tsv_snowsql_and_json() {
        let want = Integration {
            iam_user_arn: USER.into(),
            external_id: EXT.into(),
        };
        let csv = desc_csv();
        assert_eq!(parse_desc_integration(&csv), Ok(want.clone()));
        let quoted = csv.replace(&format!(",{EXT},"), &format!(",\"{EXT}\","));
        assert_eq!(
            parse_desc_integration(&format!("\u{feff}{}", quoted.replace('\n', "\r\n"))),
            Ok(want.clone())
        );
        let tsv = format!(
            "property\tproperty_type\tproperty_value\tproperty_default\n\
             STORAGE_AWS_IAM_USER_ARN\tString\t{USER}\t\n\
             STORAGE_AWS_EXTERNAL_ID\tString\t{EXT}\t\n"
        );
        assert_eq!(parse_desc_integration(&tsv), Ok(want.clone()));
        let boxed = format!(
            "+---------------------------+---------------+------+------------------+\n\
             | property                  | property_type | property_value | property_default |\n\
             |---------------------------+---------------+------+------------------|\n\
             | ENABLED                   | Boolean       | true | false            |\n\
             | STORAGE_AWS_IAM_USER_ARN  | String        | {USER} |                  |\n\
             | STORAGE_AWS_EXTERNAL_ID   | String        | {EXT} |                  |\n\
             +---------------------------+---------------+------+------------------+\n\
             6 Row(s) produced. Time Elapsed: 0.100s\n"
        );
        assert_eq!(parse_desc_integration(&boxed), Ok(want.clone()));
        let json = format!(
            r#"[{{"property": "STORAGE_AWS_IAM_USER_ARN", "property_type": "String", "property_value": "{USER}"}},
                {{"PROPERTY": "STORAGE_AWS_EXTERNAL_ID", "PROPERTY_VALUE": "{EXT}"}}]"#
        );
        assert_eq!(parse_desc_integration(&json), Ok(want));
    }

    #[test]
    fn desc_integration_names_what_is_missing_or_wrong() {
        let without = desc_csv()
            .lines()
            .filter(|l| !l.starts_with(EXTERNAL_ID))
            .collect::<Vec<_>>()
            .join("\n");
        let e = parse_desc_integration(&without).unwrap_err();
        assert!(e.contains("has no STORAGE_AWS_EXTERNAL_ID row"), "{e}");
        let e = parse_desc_integration("name,value\nSTORAGE_AWS_IAM_USER_ARN,x\n").unwrap_err();
        assert!(
            e.contains("no `property` column (its columns: name, value)"),
            "{e}"
        );
        let e = parse_desc_integration("").unwrap_err();
        assert!(e.contains("holds no table"), "{e}");
        let e =
            parse_desc_integration(&desc_csv().replace(USER, "arn:aws:iam::210987654321:role/x"))
                .unwrap_err();
        assert!(e.starts_with("STORAGE_AWS_IAM_USER_ARN: "), "{e}");
        let e = parse_desc_integration(&desc_csv().replace(EXT, "a#b")).unwrap_err();
        assert!(e.starts_with("STORAGE_AWS_EXTERNAL_ID: "), "{e}");
        let e = parse_desc_integration("property,property_value\n\"open,x\n").unwrap_err();
        assert!(e.contains("opened on line 2 is never closed"), "{e}");
    }

    #[test]
    fn show_pipes_gives_the_named_pipes_channel() {
        let q1 = "arn:aws:sqs:us-west-2:210987654321:sf-snowpipe-AIDA-1";
        let q2 = "arn:aws:sqs:us-west-2:210987654321:sf-snowpipe-AIDA-2";
        let csv = format!(
            "created_on,name,database_name,schema_name,definition,owner,notification_channel,comment\n\
             2026-12-06,OTHER_PIPE,DB,PUBLIC,\"COPY INTO t FROM @s\",SYSADMIN,{q2},\n\
             2026-12-06,SFK_PIPE,DB,PUBLIC,\"COPY INTO t\n  FROM @s\",SYSADMIN,{q1},\n"
        );
        assert_eq!(parse_show_pipes(&csv, "sfk_pipe"), Ok(q1.to_owned()));
        let e = parse_show_pipes(&csv, "NONE").unwrap_err();
        assert!(
            e.contains("none named NONE") && e.contains("OTHER_PIPE, SFK_PIPE"),
            "{e}"
        );
        let one = format!("name\tnotification_channel\nANY\t{q2}\n");
        assert_eq!(parse_show_pipes(&one, "SFK_PIPE"), Ok(q2.to_owned()));
        let e = parse_show_pipes("name,notification_channel\nP,\n", "P").unwrap_err();
        assert!(e.contains("AUTO_INGEST"), "{e}");
        let e = parse_show_pipes("name,definition\nP,x\n", "P").unwrap_err();
        assert!(e.contains("no `notification_channel` column"), "{e}");
    }

    #[test]
    fn values_are_checked_for_shape_and_region() {
        assert!(iam_user_arn(USER).is_ok());
        assert!(iam_user_arn("arn:aws:iam::210987654321:user/").is_err());
        assert!(iam_user_arn("210987654321").is_err());
        let q = "arn:aws:sqs:eu-west-1:210987654321:sf-snowpipe-1";
        assert!(notification_channel(q, "eu-west-1").is_ok());
        let e = notification_channel(q, "us-west-2").unwrap_err();
        assert!(e.contains("in eu-west-1, the bucket in us-west-2"), "{e}");
        assert!(
            notification_channel("https://sqs.eu-west-1.amazonaws.com/1/q", "eu-west-1").is_err()
        );
    }
}
