//! `strat lsp` driven by a scripted client over the real binary's standard input and output
//! (issue 16): initialize; open a file with three mistakes → three diagnostics with their codes;
//! fix one → two; hover, completion (builtins, names, a source's columns from its file),
//! definition, references, formatting and symbols; shutdown and exit.

mod common;
use common::{root, TempDir};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_strat"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("strat lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client { child, stdin, stdout, next_id: 1 }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message from the server (headers parsed as the protocol frames them).
    fn receive(&mut self) -> Value {
        let mut len = None;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = Some(v.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; len.expect("a Content-Length header")];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.receive();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

/// The (line, character) of the first `needle` in `src`, plus `shift` characters.
fn pos(src: &str, needle: &str, shift: usize) -> Value {
    let at = src.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let line = src[..at].matches('\n').count();
    let col = at - src[..at].rfind('\n').map_or(0, |i| i + 1) + shift;
    json!({"line": line, "character": col})
}

#[test]
fn a_scripted_session_over_stdio() {
    let dir = TempDir::new("lsp");
    let d = dir.path();
    std::fs::create_dir(d.join("data")).unwrap();
    std::fs::copy(root().join("examples/data/spx_vix.csv"), d.join("data/spx_vix.csv")).unwrap();
    let path = d.join("t.strat");
    let uri = format!("file://{}", path.display());
    let td = json!({"uri": uri});
    let mut c = Client::start();

    let init = c.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    for cap in ["hoverProvider", "completionProvider", "definitionProvider", "referencesProvider", "documentFormattingProvider", "documentSymbolProvider"] {
        assert!(!init["capabilities"][cap].is_null(), "capability {cap}: {init}");
    }
    c.notify("initialized", json!({}));

    // Three mistakes: an unknown function, an unknown column, an unknown name.
    let bad = "strategy t\ndata mkt = csv(\"data/spx_vix.csv\")\nlet a = smaa(mkt.spx, 20)\nlet b = mkt.nope\nlet c = undefined_name + 1\nhold mkt.spx weight a / b / c\n";
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "strat", "version": 1, "text": bad}}));
    let diags = c.diagnostics(&uri);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["strat::name::unknown_function", "strat::name::unknown_column", "strat::name::unknown"], "{diags:?}");
    // The range is the mistake's: `smaa` on line 2, from column 8.
    assert_eq!(diags[0]["range"]["start"], json!({"line": 2, "character": 8}));
    assert_eq!(diags[0]["range"]["end"], json!({"line": 2, "character": 12}));
    assert!(diags.iter().all(|d| d["severity"] == 1));

    // Fix the function name: two left.
    let fixed = bad.replace("smaa", "sma");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}));
    let diags = c.diagnostics(&uri);
    assert_eq!(diags.len(), 2, "{diags:?}");

    // Fix everything: none, and the language features on a good program.
    let good =
        "strategy t\ndata mkt = csv(\"data/spx_vix.csv\")\nlet a = sma(mkt.spx, 20)\nlet  b=mkt.vix\nhold mkt.spx weight if a > 0 and b < 30 then 1 else 0.5\n";
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": good}]}));
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());

    // Hover: a builtin's signature; a data source's file and columns.
    let h = c.request("textDocument/hover", json!({"textDocument": td, "position": pos(good, "sma(", 1)}));
    assert!(h["contents"]["value"].as_str().unwrap().contains("sma("), "{h}");
    let h = c.request("textDocument/hover", json!({"textDocument": td, "position": pos(good, "mkt.vix", 1)}));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("data/spx_vix.csv") && text.contains("spx, vix"), "{text}");

    // Completion: builtins and names anywhere; a source's columns after `mkt.`.
    let items = c.request("textDocument/completion", json!({"textDocument": td, "position": pos(good, "a > 0", 0)}));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    for want in ["sma", "zscore", "a", "b", "mkt", "hold"] {
        assert!(labels.contains(&want), "completion lacks {want}");
    }
    let items = c.request("textDocument/completion", json!({"textDocument": td, "position": pos(good, "mkt.vix", 4)}));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["spx", "vix"]);

    // Definition and references of `a`.
    let def = c.request("textDocument/definition", json!({"textDocument": td, "position": pos(good, "a > 0", 0)}));
    assert_eq!(def["range"]["start"], json!({"line": 2, "character": 4}));
    let refs = c.request("textDocument/references", json!({"textDocument": td, "position": pos(good, "a > 0", 0), "context": {"includeDeclaration": true}}));
    assert_eq!(refs.as_array().unwrap().len(), 2);

    // Formatting: one edit, `strat fmt`'s layout.
    let edits = c.request("textDocument/formatting", json!({"textDocument": td, "options": {"tabSize": 2, "insertSpaces": true}}));
    let new_text = edits[0]["newText"].as_str().unwrap();
    assert_eq!(new_text, strat_grammar::format::format_source(good).unwrap());
    assert!(new_text.contains("let b = mkt.vix"), "{new_text}");

    // Symbols: the declarations.
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": td}));
    let names: Vec<&str> = syms.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["mkt", "a", "b"]);

    // A second document with params: hover gives a let's type and warm-up (spec/stdlib.md:
    // `ret` adds k = 1, `sma` adds n - 1 = 9 at the first value of w, so 10 rows), a param's
    // values and a builtin's warm-up; completion after `mode ==` offers the choices.
    let path2 = d.join("p.strat");
    let uri2 = format!("file://{}", path2.display());
    let td2 = json!({"uri": uri2});
    let src2 = "data mkt = csv(\"data/spx_vix.csv\")\nparam w in [10, 20, 40]\nparam mode in [calm, wild]\nlet trend = sma(ret(mkt.spx), w)\nlet calm_now = mkt.vix < 20\nhold mkt.spx weight if mode == calm and calm_now then 1 else trend\n";
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri2, "languageId": "strat", "version": 1, "text": src2}}));
    assert_eq!(c.diagnostics(&uri2), Vec::<Value>::new());
    let hover = |c: &mut Client, needle: &str| {
        let h = c.request("textDocument/hover", json!({"textDocument": td2, "position": pos(src2, needle, 1)}));
        h["contents"]["value"].as_str().unwrap().to_string()
    };
    let t = hover(&mut c, "trend =");
    assert!(t.contains("type `series num") && t.contains("warm-up 10 rows"), "{t}");
    let t = hover(&mut c, "calm_now =");
    assert!(t.contains("type `series bool") && t.contains("warm-up 0 rows"), "{t}");
    let t = hover(&mut c, "w in");
    assert!(t.contains("default `10`") && t.contains("3 values swept: 10, 20, 40"), "{t}");
    let t = hover(&mut c, "sma(");
    assert!(t.contains("adds warm-up `n - 1`"), "{t}");
    let items = c.request("textDocument/completion", json!({"textDocument": td2, "position": pos(src2, "== calm", 3)}));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["calm", "wild"]);
    // A mistake keeps the last outline for the names that still exist.
    let broken = src2.replace("else trend", "else trend +");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri2, "version": 2}, "contentChanges": [{"text": broken}]}));
    assert_eq!(c.diagnostics(&uri2).len(), 1);
    let h = c.request("textDocument/hover", json!({"textDocument": td2, "position": pos(&broken, "trend =", 1)}));
    assert!(h["contents"]["value"].as_str().unwrap().contains("warm-up 10 rows"), "{h}");

    // Shutdown and exit: the server ends with status 0.
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
