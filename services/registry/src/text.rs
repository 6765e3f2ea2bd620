//! Free text in request bodies (reasons, subjects, rationales): trimmed and bounded, one rule for
//! every use case. Control characters other than tab and line breaks never get this far: the HTTP
//! kit refuses them in every JSON string.

use workout_http::ApiError;

/// `text` trimmed, if it holds 1 to `max` characters; otherwise a 422 naming `field`.
pub fn written(field: &str, text: &str, max: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(text.to_owned())
}
