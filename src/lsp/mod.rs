//! `strat lsp`: a language server over standard input and output (the Language Server Protocol,
//! framed by the `lsp-server` crate; messages as JSON). It keeps each open document's text
//! (full sync) and answers from the real compiler and formatter:
//!
//! - diagnostics on open and on every change (`textDocument/publishDiagnostics`): the checker's
//!   errors and warnings with their codes, the other labels as related information, the help
//!   line in the message; the data files are read from beside the document;
//! - hover: a builtin's signature, doc and warm-up; a declared name's declaration with a `let`'s
//!   type and warm-up, a `param`'s values, a data source's file and columns; a column's source;
//! - completion: builtins as call snippets, declared names, keywords, after `source.` the
//!   columns of that source's file, and after `PARAM ==` that param's values;
//! - go to definition and find references (lets, params, data sources, sleeves, regimes and
//!   their arms, weights, kill switches, alerts, reports);
//! - formatting (`strat fmt`'s layout, one edit) and document symbols.
//!
//! Each document is analysed once per change ([`analysis::Document`]): first the diagnostics,
//! which are published at once, then (before the next message is read) its tokens, declarations
//! and the outline of its names; the requests answer from that analysis without parsing again.

pub mod analysis;

use crate::Engine;
use lsp_server::{Connection, Message, Notification, Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;

/// The server's capabilities, as `initialize` answers them.
fn capabilities() -> Value {
    json!({
        "textDocumentSync": 1,
        "hoverProvider": true,
        "completionProvider": {"triggerCharacters": ["."]},
        "definitionProvider": true,
        "referencesProvider": true,
        "documentFormattingProvider": true,
        "documentSymbolProvider": true,
    })
}

/// The local path of a `file://` URI (percent-escapes decoded); `None` for another scheme.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
}

/// Serves one client on standard input and output until it asks to shut down and exits.
///
/// Errors: the client broke the protocol (a message the framing cannot read, no `initialize`).
pub fn serve_stdio() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let (id, _params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = json!({"capabilities": capabilities(), "serverInfo": {"name": "strat", "version": env!("CARGO_PKG_VERSION")}});
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;
    let mut server = Server { engine: Engine::new(), docs: HashMap::new() };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    break;
                }
                let resp = server.request(&req);
                connection.sender.send(Message::Response(resp)).map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => {
                for out in server.notification(&n) {
                    connection.sender.send(Message::Notification(out)).map_err(|e| e.to_string())?;
                }
                // The diagnostics are out; now what the requests read (tokens, declarations,
                // the outline of types and warm-ups), before the next message is read.
                server.refresh();
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

/// The open documents and the compiler.
struct Server {
    engine: Engine,
    docs: HashMap<String, analysis::Document>,
}

impl Server {
    /// What a notification changes: the documents, and the diagnostics to publish.
    fn notification(&mut self, n: &Notification) -> Vec<Notification> {
        let p = &n.params;
        let uri = p["textDocument"]["uri"].as_str().unwrap_or_default().to_string();
        let text = match n.method.as_str() {
            "textDocument/didOpen" => p["textDocument"]["text"].as_str().unwrap_or_default().to_string(),
            // Full sync: the last change holds the whole text.
            "textDocument/didChange" => match p["contentChanges"].as_array().and_then(|c| c.last()).and_then(|c| c["text"].as_str()) {
                Some(text) => text.to_string(),
                None => return vec![],
            },
            "textDocument/didClose" => {
                self.docs.remove(&uri);
                return vec![Notification::new("textDocument/publishDiagnostics".into(), json!({"uri": uri, "diagnostics": []}))];
            }
            _ => return vec![],
        };
        let path = uri_path(&uri).unwrap_or_else(|| PathBuf::from("untitled.strat"));
        let previous = self.docs.remove(&uri);
        let doc = analysis::Document::new(&self.engine, &uri, &path, text, previous);
        let diagnostics = doc.diagnostics.clone();
        self.docs.insert(uri.clone(), doc);
        vec![Notification::new("textDocument/publishDiagnostics".into(), json!({"uri": uri, "diagnostics": diagnostics}))]
    }

    /// Refreshes every document changed since the last call ([`analysis::Document::refresh`]).
    fn refresh(&mut self) {
        for doc in self.docs.values_mut() {
            doc.refresh(&self.engine);
        }
    }

    /// The answer to a request (`null` for a document the server does not have or a method it
    /// does not serve; an error for an unknown method).
    fn request(&self, req: &Request) -> Response {
        let p = &req.params;
        let uri = p["textDocument"]["uri"].as_str().unwrap_or_default();
        let Some(doc) = self.docs.get(uri) else {
            return Response::new_ok(req.id.clone(), Value::Null);
        };
        let src = &doc.text;
        let at = || analysis::offset(src, p["position"]["line"].as_u64().unwrap_or(0) as usize, p["position"]["character"].as_u64().unwrap_or(0) as usize);
        let result = match req.method.as_str() {
            "textDocument/hover" => match analysis::hover(doc, at()) {
                Some((span, text)) => json!({"contents": {"kind": "markdown", "value": text}, "range": analysis::range(src, span)}),
                None => Value::Null,
            },
            "textDocument/completion" => Value::Array(analysis::completion(doc, at())),
            "textDocument/definition" => match doc.word_at(at()).and_then(|t| doc.decl(t.text(src))) {
                Some(d) => json!({"uri": uri, "range": analysis::range(src, d.name.span)}),
                None => Value::Null,
            },
            "textDocument/references" => match doc.word_at(at()) {
                Some(t) => Value::Array(doc.references(t.text(src)).into_iter().map(|s| json!({"uri": uri, "range": analysis::range(src, s)})).collect()),
                None => Value::Null,
            },
            "textDocument/formatting" => match strat_grammar::format::format_source(src) {
                Ok(out) if out != *src => json!([{"range": analysis::range(src, strat_grammar::span::Span::new(0, src.len())), "newText": out}]),
                Ok(_) => json!([]),
                Err(_) => Value::Null,
            },
            "textDocument/documentSymbol" => Value::Array(analysis::symbols(doc)),
            _ => return Response::new_err(req.id.clone(), -32601, format!("strat lsp does not serve {}", req.method)),
        };
        Response::new_ok(req.id.clone(), result)
    }
}
