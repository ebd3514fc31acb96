//! Start a sandbox on a free loopback port, in the test's runtime.

#![allow(dead_code)]

use d1_sandbox::{Options, Sandbox};
use reqwest::{Client, Method, Response};
use serde_json::Value;

pub const ISSUER: &str = "ISSUER0001";
pub const TOKEN: &str = "Bearer test-token";

pub struct Running {
    pub sandbox: Sandbox,
    pub base: String,
    pub client: Client,
}

/// A plain reqwest client for the tests. In a workspace build, reqwest's features are unified
/// with those `d1-client` asks for (`rustls-no-provider`: it brings its own `ring` config), so a
/// client built without one panics; installing `ring` as the process default avoids that.
pub fn http_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

pub async fn start(options: Options) -> Running {
    let sandbox = Sandbox::new(options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    let served = sandbox.clone();
    tokio::spawn(async move {
        d1_sandbox::serve(served, listener, std::future::pending()).await.expect("serve");
    });
    Running { sandbox, base: format!("http://{address}"), client: http_client() }
}

impl Running {
    /// A request with the test token and, when `body` is given, a JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).header("authorization", TOKEN);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        request.send().await.expect("request sent")
    }

    /// Status and JSON body (`Value::Null` when empty).
    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.call(method, path, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON body") };
        (status, value)
    }

    pub async fn seed_card(&self, card: &str, consumer: &str) {
        let status = self
            .client
            .put(format!("{}/sandbox/issuers/{ISSUER}/cards/{card}", self.base))
            .body(format!(r#"{{"consumerId":"{consumer}"}}"#))
            .send()
            .await
            .expect("seed card")
            .status();
        assert_eq!(status.as_u16(), 204);
    }

    pub async fn seed_digital_card(&self, id: &str, card: &str, pan: &str) {
        let status = self
            .client
            .put(format!("{}/sandbox/issuers/{ISSUER}/digitalCards/{id}", self.base))
            .body(format!(r#"{{"cardId":"{card}","pan":"{pan}","type":"HCE"}}"#))
            .send()
            .await
            .expect("seed digital card")
            .status();
        assert_eq!(status.as_u16(), 204);
    }
}
