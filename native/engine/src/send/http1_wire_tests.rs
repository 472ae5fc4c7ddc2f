//! `http1_wire` against answers written byte for byte by a TCP server on
//! 127.0.0.1: the framings, interim answers, keep-alive rules and broken
//! answers that real servers send and the mock API does not.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{BodyError, Connection, WireError};

const GET: &[u8] = b"GET /x HTTP/1.1\r\nhost: test\r\n\r\n";

/// A server that answers one request with `parts`, written one after the
/// other with a pause between them (an answer split across reads), then
/// keeps the connection open for a while unless `close`.
async fn serve(parts: Vec<&'static [u8]>, close: bool) -> Connection {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if socket.read(&mut byte).await.unwrap() == 0 {
                return;
            }
            request.push(byte[0]);
        }
        for part in parts {
            socket.write_all(part).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if !close {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    Connection::new(TcpStream::connect(address).await.unwrap())
}

/// Status, body and whether the connection may be reused.
async fn exchange(
    parts: Vec<&'static [u8]>,
    close: bool,
    limit: Option<usize>,
) -> (u16, Vec<u8>, bool) {
    let mut connection = serve(parts, close).await;
    let head = connection.send(GET, false).await.unwrap();
    let status = head.status;
    match connection.read_body(&head, limit).await {
        Ok((body, reusable)) => (status, body, reusable),
        Err(BodyError::TooLarge) => (status, b"<too large>".to_vec(), false),
        Err(BodyError::Failed(reason)) => (status, reason.into_bytes(), false),
    }
}

#[tokio::test]
async fn a_length_delimited_answer_keeps_the_connection() {
    let answer = exchange(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", b"lo"],
        false,
        None,
    )
    .await;
    assert_eq!(answer, (200, b"hello".to_vec(), true));
}

#[tokio::test]
async fn a_chunked_answer_with_extensions_and_trailers_is_joined() {
    let answer = exchange(
        vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel",
            b"lo\r\n1",
            b"1\r\n world, again!!!!\r\n0\r\nX-Trailer: t\r\n\r\n",
        ],
        false,
        None,
    )
    .await;
    assert_eq!(answer, (200, b"hello world, again!!!!".to_vec(), true));
}

#[tokio::test]
async fn an_answer_without_length_ends_at_the_close_and_is_not_reused() {
    let answer = exchange(vec![b"HTTP/1.1 200 OK\r\n\r\n[1,", b"2]"], true, None).await;
    assert_eq!(answer, (200, b"[1,2]".to_vec(), false));
}

#[tokio::test]
async fn interim_answers_are_skipped_and_empty_statuses_have_no_body() {
    let answer = exchange(
        vec![b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"],
        false,
        None,
    )
    .await;
    assert_eq!(answer, (204, Vec::new(), true));
}

#[tokio::test]
async fn a_head_answer_has_no_body_whatever_its_length() {
    let mut connection = serve(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"],
        false,
    )
    .await;
    let head = connection
        .send(b"HEAD /x HTTP/1.1\r\nhost: t\r\n\r\n", true)
        .await
        .unwrap();
    let (body, reusable) = connection.read_body(&head, None).await.ok().unwrap();
    assert_eq!((head.status, body, reusable), (200, Vec::new(), true));
}

#[tokio::test]
async fn connection_close_and_http_1_0_are_not_reused() {
    for answer in [
        &b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ] {
        let (status, body, reusable) = exchange(vec![answer], false, None).await;
        assert_eq!((status, body, reusable), (200, b"ok".to_vec(), false));
    }
}

#[tokio::test]
async fn bytes_past_the_answer_make_the_connection_unusable() {
    let answer = exchange(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"],
        false,
        None,
    )
    .await;
    assert_eq!(answer, (200, b"ok".to_vec(), false));
}

#[tokio::test]
async fn bodies_over_the_limit_stop_the_read_in_every_framing() {
    for parts in [
        vec![&b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"[..]],
        vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"],
        vec![b"HTTP/1.1 200 OK\r\n\r\nhello world"],
    ] {
        let (_, body, _) = exchange(parts.clone(), true, Some(10)).await;
        assert_eq!(body, b"<too large>", "{:?}", String::from_utf8_lossy(parts[0]));
        let (_, body, _) = exchange(parts, true, Some(11)).await;
        assert_eq!(body, b"hello world");
    }
}

#[tokio::test]
async fn broken_answers_are_errors_that_say_what_broke() {
    let cases: [(&[u8], &str); 4] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
            "two different values",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok",
            "invalid Content-Length",
        ),
        (b"SMTP ready\r\n\r\n", "invalid HTTP response"),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "switched protocols",
        ),
    ];
    for (answer, expected) in cases {
        let mut connection = serve(vec![answer], false).await;
        match connection.send(GET, false).await {
            Err(WireError::Failed(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("{expected}: {:?}", other.map(|h| h.status)),
        }
    }
    // Cut off in the middle of the body.
    let (_, reason, reusable) = exchange(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal"],
        true,
        None,
    )
    .await;
    let reason = String::from_utf8(reason).unwrap();
    assert!(
        reason.contains("closed before the whole response"),
        "{reason}"
    );
    assert!(!reusable);
}

#[tokio::test]
async fn a_close_before_any_answer_is_told_apart_from_a_broken_answer() {
    let mut connection = serve(vec![], true).await;
    match connection.send(GET, false).await {
        Err(WireError::ClosedBeforeAnswer(_)) => {}
        other => panic!("{:?}", other.map(|h| h.status)),
    }
    let mut connection = serve(vec![b"HTTP/1.1 200"], true).await;
    match connection.send(GET, false).await {
        Err(WireError::Failed(_)) => {}
        other => panic!("{:?}", other.map(|h| h.status)),
    }
}

#[tokio::test]
async fn an_idle_connection_the_server_closed_is_not_usable() {
    let mut connection = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], true).await;
    let head = connection.send(GET, false).await.unwrap();
    let (_, reusable) = connection.read_body(&head, None).await.ok().unwrap();
    assert!(reusable, "nothing in the answer forbids reuse");
    // The server closes just after its answer; the reactor sees it soon.
    let mut usable = true;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        usable = connection.usable();
        if !usable {
            break;
        }
    }
    assert!(!usable, "a closed connection must not be leased again");
}

#[tokio::test]
async fn a_quiet_open_connection_is_usable() {
    let mut connection = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], false).await;
    let head = connection.send(GET, false).await.unwrap();
    connection.read_body(&head, None).await.ok().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(connection.usable());
}

#[tokio::test]
async fn a_huge_declared_length_is_not_memory_set_aside() {
    // Compressed bodies have no limit on the wire (the limit is on the
    // decoded size), so only the bytes that arrive may take memory.
    let answer = exchange(
        vec![b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1000000000000\r\n\r\nabc"],
        true,
        None,
    )
    .await;
    let reason = String::from_utf8(answer.1).unwrap();
    assert!(
        reason.contains("closed before the whole response"),
        "{reason}"
    );
}
