//! PostgreSQL LISTEN/NOTIFY wake-ups relayed to the tasks of this replica that wait for them.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::watch;

/// Listens on every channel of `routes` over one connection (however many streams or caches
/// wait on them) and bumps the channel's counter on each notification. Every reconnect made
/// here bumps them all, since notifications sent meanwhile are lost; a reconnect sqlx makes
/// inside `recv` is silent, so waiters also re-read periodically. Runs until aborted.
pub async fn relay(pool: PgPool, routes: Vec<(&'static str, watch::Sender<u64>)>) {
    let bump = |wake: &watch::Sender<u64>| wake.send_modify(|n| *n = n.wrapping_add(1));
    let bump_all = || routes.iter().for_each(|(_, wake)| bump(wake));
    let channels: Vec<&str> = routes.iter().map(|(channel, _)| *channel).collect();
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen_all(channels.iter().copied()).await {
                Ok(()) => {
                    bump_all();
                    while let Ok(notification) = listener.recv().await {
                        if let Some((_, wake)) = routes
                            .iter()
                            .find(|(channel, _)| *channel == notification.channel())
                        {
                            bump(wake);
                        }
                    }
                    tracing::warn!("notifications lost; reconnecting");
                }
                Err(error) => tracing::warn!(%error, "LISTEN failed"),
            },
            Err(error) => tracing::debug!(%error, "no listener connection yet"),
        }
        bump_all();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Returns when `wake` is bumped or `every` has passed, whichever comes first: how a waiter on
/// the relay re-reads even when a notification was lost. A relay that has gone (the server is
/// stopping) leaves only the timer.
pub async fn woken_or_after(wake: &mut watch::Receiver<u64>, every: Duration) {
    let woken = async {
        if wake.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = woken => {}
        () = tokio::time::sleep(every) => {}
    }
}
