//! `siyu admin …`: tenants, staff and API keys, straight against the database.

use std::io::Read;

use clap::Subcommand;
use serde_json::json;
use siyu_domain::{ApiKeyId, Role, TenantId};
use siyu_server::app::open_store;
use siyu_server::services::{self, Actor};
use siyu_server::Config;
use siyu_store::Store;

/// Admin subcommands.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Tenants (merchants).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// API keys.
    ApiKey {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

/// `siyu admin tenant …`
#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and its first API key.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Print `{"tenant_id":…,"api_key":…}`.
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `siyu admin staff …`
#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a staff account; the password is read from standard input.
    Create {
        /// The tenant; omit only for `--role platform-admin`.
        #[arg(long)]
        tenant: Option<String>,
        /// Login name.
        #[arg(long)]
        login: String,
        /// owner, operator, clerk or platform-admin.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `siyu admin api-key …`
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create an API key for a tenant.
    Create {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// What it is for.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key.
    Revoke {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The key id (`ak_…`).
        #[arg(long)]
        id: String,
    },
}

fn tenant_id(s: &str) -> Result<TenantId, String> {
    TenantId::parse(s).map_err(|e| format!("--tenant: {}", e.message))
}

fn now() -> i64 {
    use siyu_domain::Clock;
    siyu_domain::SystemClock.now_ms()
}

/// Runs an admin command.
pub async fn run(config: Config, cmd: AdminCommand) -> Result<(), String> {
    let store = open_store(&config, false)
        .await
        .map_err(|e| e.to_string())?;
    let result = dispatch(&store, cmd).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, cmd: AdminCommand) -> Result<(), String> {
    let err = |e: siyu_server::error::ApiError| e.to_string();
    match cmd {
        AdminCommand::Tenant {
            command: TenantCommand::Create { name, json },
        } => {
            let (t, key) = services::create_tenant(store, &name, &Actor::Cli, now())
                .await
                .map_err(err)?;
            if json {
                println!("{}", json!({"tenant_id": t.id, "api_key": key.secret}));
            } else {
                println!(
                    "tenant {} ({})\napi key (shown once): {}",
                    t.id, t.name, key.secret
                );
            }
        }
        AdminCommand::Tenant {
            command: TenantCommand::List { json },
        } => {
            let rows = siyu_store::tenants::list(store)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                let items: Vec<_> = rows
                    .iter()
                    .map(|(t, n)| json!({"tenant_id": t.id, "name": t.name, "staff": n, "created_at": t.created_at}))
                    .collect();
                println!("{}", json!({ "items": items }));
            } else {
                for (t, n) in rows {
                    println!("{}\t{}\t{} staff", t.id, t.name, n);
                }
            }
        }
        AdminCommand::Staff {
            command:
                StaffCommand::Create {
                    tenant,
                    login,
                    role,
                    password_stdin: _,
                    json,
                },
        } => {
            let role = Role::parse(&role).map_err(|e| format!("--role: {}", e.message))?;
            let tenant = tenant.as_deref().map(tenant_id).transpose()?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password = password.lines().next().unwrap_or_default().to_owned();
            let id = services::create_staff(
                store,
                tenant.as_ref(),
                &login,
                role,
                &password,
                &Actor::Cli,
                now(),
            )
            .await
            .map_err(err)?;
            if json {
                println!(
                    "{}",
                    json!({"id": id, "login": login.trim().to_ascii_lowercase(), "role": role.as_str()})
                );
            } else {
                println!("staff {id} created");
            }
        }
        AdminCommand::ApiKey {
            command:
                KeyCommand::Create {
                    tenant,
                    label,
                    json,
                },
        } => {
            let tenant = tenant_id(&tenant)?;
            siyu_store::tenants::get(store, &tenant)
                .await
                .map_err(|_| format!("--tenant: no tenant has the id {tenant}"))?;
            let k = services::create_api_key(store, &tenant, &label, None, &Actor::Cli, now())
                .await
                .map_err(err)?;
            if json {
                println!("{}", json!({"id": k.id, "api_key": k.secret}));
            } else {
                println!("api key {} (shown once): {}", k.id, k.secret);
            }
        }
        AdminCommand::ApiKey {
            command: KeyCommand::Revoke { tenant, id },
        } => {
            let tenant = tenant_id(&tenant)?;
            let id = ApiKeyId::parse(&id).map_err(|e| format!("--id: {}", e.message))?;
            services::revoke_api_key(store, &tenant, &id, &Actor::Cli, now())
                .await
                .map_err(|e| match e {
                    siyu_server::error::ApiError::NotFound => {
                        format!("--id: tenant {tenant} has no active key {id}")
                    }
                    other => other.to_string(),
                })?;
            println!("api key {id} revoked");
        }
    }
    Ok(())
}
