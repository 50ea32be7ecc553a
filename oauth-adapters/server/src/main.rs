//! `oauth-server`: runs the authorization server. With no arguments, the embedded demo
//! configuration on `127.0.0.1:8080`; see `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use oauth_core::metadata::well_known_path;
use oauth_core::{AppType, ConsentMethod, GrantType};
use oauth_server::ServerConfig;
use oauth_server::config::DEMO_TOML;
use tracing_subscriber::EnvFilter;

/// An OAuth 2 authorization server (authorization code with PKCE, client credentials, refresh
/// tokens, user impersonation, per-client browser origins, revocation, introspection, metadata,
/// opaque or JWT access tokens, and an admin API for clients under /api/v1/oauth-clients). Without --config it runs a demo configuration whose secrets are
/// public.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Read the configuration from this TOML file instead of the embedded demo.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen on this address instead of the configured one (e.g. 127.0.0.1:9000).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// INSECURE: sign this user in and approve every authorization request without a page.
    #[arg(long, value_name = "USER")]
    dev_login: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let demo = args.config.is_none();
    let mut config = match &args.config {
        None => ServerConfig::demo(),
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            };
            // Key files in [access_tokens] are relative to the file's directory.
            let dir = path.parent().unwrap_or_else(|| std::path::Path::new(""));
            match ServerConfig::from_toml_in(&text, dir) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    if let Some(listen) = args.listen {
        config.set_listen(listen);
    }
    if let Some(user) = &args.dev_login {
        config = match config.with_dev_login(user) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: --dev-login: {e}");
                return ExitCode::from(2);
            }
        };
    }
    let listener = match tokio::net::TcpListener::bind(config.listen()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", config.listen());
            return ExitCode::from(1);
        }
    };
    // Where curl reaches this process, and the issuer it names itself by (they differ behind a
    // proxy that terminates TLS).
    let url = match listener.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(_) => format!("http://{}", config.listen()),
    };
    let issuer = config.issuer().map_or_else(|| url.clone(), |i| i.trim_end_matches('/').to_owned());
    print_banner(&config, &url, &issuer, demo);
    match oauth_server::serve_with_shutdown(config, listener, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Completes on Ctrl-C (and SIGTERM on Unix).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The demo's public plaintext values by id: client secrets and user passwords.
fn demo_value(section: &str, id_key: &str, id: &str, key: &str) -> Option<String> {
    let table: toml::Table = DEMO_TOML.parse().ok()?;
    table
        .get(section)?
        .as_array()?
        .iter()
        .find(|e| e.get(id_key).and_then(|v| v.as_str()) == Some(id))?
        .get(key)?
        .as_str()
        .map(str::to_owned)
}

fn print_banner(config: &ServerConfig, base: &str, issuer: &str, demo: bool) {
    println!();
    println!("oauth-server listening on {base} (issuer {issuer}); stop it with Ctrl-C");
    if demo {
        println!("Demo configuration: every secret and password shown here is public.");
    }
    println!();
    println!("Clients:");
    for c in config.clients() {
        let grants: Vec<_> = c.allowed_grant_types().iter().map(|g| g.as_str()).collect();
        let app_type = match c.app_type() {
            AppType::Web => "web",
            AppType::Spa => "spa",
            AppType::Native => "native",
            _ => "other",
        };
        println!("  {:<18} {app_type:<6}  grants: {}  scopes: {}", c.client_id(), grants.join(" "), c.allowed_scopes());
        if c.is_confidential() {
            match demo.then(|| demo_value("clients", "client_id", c.client_id(), "client_secret")).flatten() {
                Some(secret) => println!("  {:<18} secret: {secret}", ""),
                None => println!("  {:<18} secret: (configured)", ""),
            }
        }
        for uri in c.redirect_uris() {
            println!("  {:<18} redirect_uri: {uri}", "");
        }
        if !c.allowed_origins().is_empty() {
            println!("  {:<18} allowed_origins: {}", "", c.allowed_origins().join(" "));
        }
        if c.allows_grant(GrantType::AuthorizationCode) {
            let consent = if c.consent() == ConsentMethod::Trusted { "trusted (no page)" } else { "required" };
            println!("  {:<18} consent: {consent}", "");
        }
    }
    println!();
    match config.access_token_signer() {
        None => println!("Access tokens: opaque (check them at /oauth/introspect)"),
        Some(signer) => {
            let kid = signer.key_id().map_or_else(|| "(none)".to_owned(), |k| format!("\"{k}\""));
            println!("Access tokens: JWT (RFC 9068), algorithm {}, kid {kid}", signer.algorithm());
            // What a resource server's JwtValidator must expect.
            println!("  iss \"{issuer}\", aud \"{}\"", config.audience().unwrap_or(issuer));
            if config.signing_key_generated() {
                println!("  the signing key was generated at start: tokens will not verify after a restart");
            }
            if signer.jwks().is_some() {
                println!("  public keys (JWKS): {base}/oauth/jwks");
            }
        }
    }
    let metadata = oauth_server::metadata_url(issuer);
    let local = format!("{base}{}", well_known_path(issuer));
    if metadata == local {
        println!("Metadata (RFC 8414): {metadata}");
    } else {
        println!("Metadata (RFC 8414): {metadata} (this process: {local})");
    }
    println!();
    println!("Users:");
    for id in config.enabled_users() {
        match demo.then(|| demo_value("users", "id", id, "password")).flatten() {
            Some(pw) => println!("  {id}  password: {pw}"),
            None => println!("  {id}"),
        }
    }
    for id in config.disabled_users() {
        println!("  {id}  (disabled: cannot sign in or be impersonated)");
    }
    if let Some(user) = config.dev_login() {
        println!();
        println!("INSECURE dev_login: every authorization request is signed in as {user} and approved without a page.");
    }
    if !demo {
        println!();
        return;
    }
    println!();
    println!("Client credentials:");
    println!(
        "  curl -s -u demo-service:demo-service-secret -d grant_type=client_credentials -d scope=read {base}/oauth/token"
    );
    println!();
    println!("Impersonation (demo-impersonation acts as user-1):");
    println!(
        "  curl -s -u demo-impersonation:demo-impersonation-secret -d grant_type=urn:qlik:oauth:user-impersonation --data-urlencode 'user_lookup={{\"field\":\"userId\",\"value\":\"user-1\"}}' {base}/oauth/token"
    );
    println!();
    println!("Admin API (/api/v1/oauth-clients) with a token of demo-admin:");
    println!(
        "  TOKEN=$(curl -s -u demo-admin:demo-admin-secret -d grant_type=client_credentials -d scope=admin_classic {base}/oauth/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
    );
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/oauth-clients");
    println!();
    println!("Introspection (demo-resource-server may introspect every token) and revocation:");
    println!(
        "  curl -s -u demo-resource-server:demo-resource-server-secret -d token=ACCESS_TOKEN {base}/oauth/introspect"
    );
    println!("  curl -s -u demo-service:demo-service-secret -d token=ACCESS_TOKEN {base}/oauth/revoke");
    println!();
    let authorize = format!(
        "{base}/oauth/authorize?response_type=code&client_id=demo-web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read%20offline_access&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    if config.dev_login().is_some() {
        println!("Authorization code with PKCE (RFC 7636 Appendix B pair); dev_login answers at once:");
        println!("  curl -s -o /dev/null -w '%{{redirect_url}}\\n' '{authorize}'");
    } else {
        println!("Authorization code with PKCE (RFC 7636 Appendix B pair): open in a browser, sign in as");
        println!("user-1 / demo-password-1 and approve; the browser goes to https://app.example/cb?code=...");
        println!("  {authorize}");
    }
    println!("Then exchange the code:");
    println!(
        "  curl -s -u demo-web:demo-web-secret -d grant_type=authorization_code -d code=CODE \\\n    --data-urlencode redirect_uri=https://app.example/cb -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk {base}/oauth/token"
    );
    println!("And refresh:");
    println!(
        "  curl -s -u demo-web:demo-web-secret -d grant_type=refresh_token -d refresh_token=REFRESH_TOKEN {base}/oauth/token"
    );
    println!();
    if config.dev_login().is_none() {
        println!("Headless (no page): restart with --dev-login user-1 and use curl -i on the authorize URL.");
        println!();
    }
}
