//! Group commit's batching, deterministically: how long a committer gathers
//! (yields, not a timer) and how a failed batch's writes each get the error of
//! their own class. They reach the private [`WriteQueue`](super::WriteQueue).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::model::DeliveryStatus;
use crate::store::AttemptResult;

fn result() -> PendingResult {
    let (reply, _) = oneshot::channel();
    PendingResult {
        record: AttemptRecord {
            owner: "w".into(),
            attempt: Attempt {
                id: "att_1".into(),
                delivery_id: "dlv_1".into(),
                attempt_number: 1,
                started_at: crate::clock::now(),
                duration_ms: 1,
                http_status: Some(200),
                error_kind: None,
                error_message: None,
                request_headers: Default::default(),
                response_headers: Default::default(),
                response_body: None,
            },
            result: AttemptResult {
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
            },
            fifo_key: None,
        },
        reply,
    }
}

/// A task that counts how often the (single-threaded) runtime ran it: once
/// per yield of the gathering task, and after `add_at` runs (if any) it adds
/// a pending write, as a write arriving from elsewhere would.
fn ticker(queue: Arc<WriteQueue>, add_at: Option<usize>) -> Arc<AtomicUsize> {
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    tokio::spawn(async move {
        loop {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            if add_at == Some(n) {
                queue.lock().results.push(result());
            }
            tokio::task::yield_now().await;
        }
    });
    ticks
}

#[tokio::test(flavor = "current_thread")]
async fn gathering_takes_what_is_pending_at_once_when_it_is_enough() {
    let queue = WriteQueue::new(1);
    queue.lock().results.push(result());
    queue.lock().results.push(result());
    let ticks = ticker(queue.clone(), None);
    queue.gather(2).await;
    assert_eq!(ticks.load(Ordering::SeqCst), 0, "no yield: 2 were pending");
    assert_eq!(queue.take().map(|p| p.len()), Some(2));
}

#[tokio::test(flavor = "current_thread")]
async fn gathering_yields_until_enough_writes_have_joined() {
    let queue = WriteQueue::new(1);
    queue.lock().results.push(result());
    // The second write arrives during the second yield.
    let ticks = ticker(queue.clone(), Some(2));
    queue.gather(2).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        2,
        "stopped once 2 were pending"
    );
    assert_eq!(queue.take().map(|p| p.len()), Some(2));
}

#[tokio::test(flavor = "current_thread")]
async fn gathering_gives_up_after_a_few_yields_and_takes_what_there_is() {
    let queue = WriteQueue::new(1);
    queue.lock().results.push(result());
    let ticks = ticker(queue.clone(), None);
    queue.gather(10).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        GATHER_YIELDS,
        "no timer, no more yields"
    );
    assert_eq!(queue.take().map(|p| p.len()), Some(1));
    assert!(queue.take().is_none(), "taken: nothing left pending");
}

#[tokio::test(flavor = "current_thread")]
async fn every_write_of_a_failed_batch_gets_the_error_of_its_class() {
    let mut answers = Vec::new();
    let mut results = Vec::new();
    for _ in 0..3 {
        let (reply, answer) = oneshot::channel();
        let mut pending = result();
        pending.reply = reply;
        results.push(pending);
        answers.push(answer);
    }
    let down = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    answer(results, Err(store::Error::Unavailable(Arc::new(down))));
    for answer in answers {
        let got = answer.await.expect("answered");
        assert!(
            matches!(got, Err(store::Error::Unavailable(_))),
            "still 'unavailable' (a 503), not a generic batch error: {got:?}"
        );
    }
}
