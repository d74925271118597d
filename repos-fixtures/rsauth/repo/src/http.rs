//! Minimal request/response types. The real HTTP server (in the `portal-gw`
//! binary) converts to and from these, which keeps the handlers testable.

use crate::error::AuthError;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    headers: BTreeMap<String, String>,
    pub body: String,
}

impl Request {
    pub fn new(method: Method, path: &str, body: &str) -> Request {
        Request {
            method,
            path: path.to_string(),
            headers: BTreeMap::new(),
            body: body.to_string(),
        }
    }

    pub fn get(path: &str) -> Request {
        Request::new(Method::Get, path, "")
    }

    pub fn post(path: &str, body: &str) -> Request {
        Request::new(Method::Post, path, body)
    }

    /// Builder-style header setter. Header names are case-insensitive.
    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers
            .insert(name.to_ascii_lowercase(), value.trim().to_string());
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Value of cookie `name` from the `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.header("cookie")?.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            if k.trim() == name {
                Some(v.trim())
            } else {
                None
            }
        })
    }

    pub fn form(&self) -> Form {
        Form::parse(&self.body)
    }
}

/// Decode `application/x-www-form-urlencoded` text (`+` and `%XX`).
pub fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("0");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed form body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: BTreeMap<String, String>,
}

impl Form {
    pub fn parse(body: &str) -> Form {
        let mut fields = BTreeMap::new();
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            fields.insert(url_decode(k), url_decode(v));
        }
        Form { fields }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A non-empty field or a `BadRequest`.
    pub fn require(&self, name: &str) -> Result<&str, AuthError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(AuthError::BadRequest(format!("missing field {name}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    headers: BTreeMap<String, String>,
    pub body: String,
}

impl Response {
    pub fn with_status(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: BTreeMap::new(),
            body: body.into(),
        }
    }

    pub fn ok(body: impl Into<String>) -> Response {
        Response::with_status(200, body)
    }

    pub fn not_found() -> Response {
        Response::with_status(404, "error=not_found")
    }

    pub fn error(err: &AuthError) -> Response {
        let mut response =
            Response::with_status(err.status(), format!("error={}\nmessage={}", err.code(), err));
        if let AuthError::Throttled { retry_after } = err {
            response = response.with_header("retry-after", &retry_after.to_string());
        }
        response
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_string());
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Bodies are `key=value` lines; return the first value for `key`.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.body.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            if k == key {
                Some(v)
            } else {
                None
            }
        })
    }

    /// All values for `key`, in order.
    pub fn fields(&self, key: &str) -> Vec<&str> {
        self.body
            .lines()
            .filter_map(|line| {
                let (k, v) = line.split_once('=')?;
                if k == key {
                    Some(v)
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let form = Form::parse("username=al%69ce&password=a+b%21&empty=&flag");
        assert_eq!(form.get("username"), Some("alice"));
        assert_eq!(form.get("password"), Some("a b!"));
        assert_eq!(form.get("flag"), Some(""));
        assert!(form.require("empty").is_err());
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz"), "%zz");
    }

    #[test]
    fn headers_and_cookies_are_case_insensitive() {
        let req = Request::get("/me")
            .with_header("Cookie", "theme=dark; sid=sess_1 ")
            .with_header("AUTHORIZATION", "Session abc");
        assert_eq!(req.cookie("sid"), Some("sess_1"));
        assert_eq!(req.cookie("nope"), None);
        assert_eq!(req.header("authorization"), Some("Session abc"));
    }

    #[test]
    fn error_response_carries_code_and_retry_after() {
        let resp = Response::error(&AuthError::Throttled { retry_after: 9 });
        assert_eq!(resp.status, 429);
        assert_eq!(resp.field("error"), Some("throttled"));
        assert_eq!(resp.header("Retry-After"), Some("9"));
    }
}
