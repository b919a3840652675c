//! The source fields (`_s3_bucket`, `_s3_key`, `_s3_event_time`) spliced
//! into records.

/// Adds `_s3_bucket`, `_s3_key`, `_s3_event_time` to each object record
/// (a non-object record is wrapped as `{"value": ..., "_s3_...": ...}`).
pub fn source_fields(bucket: &str, key: &str, event_time: Option<&str>) -> Vec<u8> {
    let fields = serde_json::json!({
        "_s3_bucket": bucket,
        "_s3_key": key,
        "_s3_event_time": event_time,
    });
    let text = fields.to_string();
    // `{"_s3_bucket":...}` without its braces, to splice into a record.
    text.as_bytes()[1..text.len() - 1].to_vec()
}

/// Splices `fields` (from [`source_fields`]) into one compact JSON record.
pub fn with_source(record: &[u8], fields: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let trimmed = record.trim_ascii_start();
    if let Some(rest) = trimmed.strip_prefix(b"{") {
        out.push(b'{');
        out.extend_from_slice(fields);
        if !rest.trim_ascii_start().starts_with(b"}") {
            out.push(b',');
        }
        out.extend_from_slice(rest);
    } else {
        out.extend_from_slice(b"{\"value\":");
        out.extend_from_slice(record);
        out.push(b',');
        out.extend_from_slice(fields);
        out.push(b'}');
    }
}
