//! `siyu demo`: a café with staff and keys on the embedded database, served at once.

use siyu_domain::{Clock, Role, SystemClock};
use siyu_server::app::{open_store, shutdown_signal};
use siyu_server::services::{self, Actor};
use siyu_server::{Application, BuildOptions, Config};
use siyu_store::Store;

/// The demo merchant's name.
pub const DEMO_TENANT: &str = "小满咖啡 Xiaoman Café";

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// Creates (or refreshes) the demo merchant; returns the owner's password.
async fn seed(store: &Store) -> Result<String, String> {
    let now = SystemClock.now_ms();
    let err = |e: siyu_server::error::ApiError| e.to_string();
    let password = random_password();
    if let Some(c) = siyu_store::staff::credentials(store, "demo")
        .await
        .map_err(|e| e.to_string())?
    {
        let hash = siyu_server::passwords::hash(password.clone())
            .await
            .map_err(err)?;
        let mut tx = store.begin().await.map_err(|e| e.to_string())?;
        siyu_store::staff::set_password(&mut tx, &c.staff.id, &hash)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        return Ok(password);
    }
    let (tenant, _) = services::create_tenant(store, DEMO_TENANT, &Actor::System, now)
        .await
        .map_err(err)?;
    let t = Some(&tenant.id);
    services::create_staff(
        store,
        t,
        "demo",
        Role::Owner,
        &password,
        &Actor::System,
        now,
    )
    .await
    .map_err(err)?;
    for (login, role) in [
        ("demo-ops", Role::Operator),
        ("demo-clerk-wang", Role::Clerk),
        ("demo-clerk-li", Role::Clerk),
    ] {
        services::create_staff(
            store,
            t,
            login,
            role,
            &random_password(),
            &Actor::System,
            now,
        )
        .await
        .map_err(err)?;
    }
    services::create_staff(
        store,
        None,
        "demo-admin",
        Role::PlatformAdmin,
        &random_password(),
        &Actor::System,
        now,
    )
    .await
    .map_err(err)?;
    services::create_api_key(
        store,
        &tenant.id,
        "门店收银系统 POS",
        None,
        &Actor::System,
        now,
    )
    .await
    .map_err(err)?;
    services::create_tenant(store, "山野茶铺 Shanye Tea", &Actor::System, now)
        .await
        .map_err(err)?;
    Ok(password)
}

/// Runs the demo: migrate, seed, serve, print where to sign in.
pub async fn run(config: Config) -> Result<(), String> {
    let store = open_store(&config, true).await.map_err(|e| e.to_string())?;
    let password = seed(&store).await?;
    store.close().await;
    let app = Application::build(config, BuildOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let base = match &app.state().config.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => format!("http://{}", app.local_addr()),
    };
    println!("siyu demo is running — {DEMO_TENANT}");
    println!("  console:  {base}/console");
    println!("  login:    demo");
    println!("  password: {password}");
    println!("  database: {}", app.state().config.database_url);
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
