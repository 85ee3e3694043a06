use std::time::Duration;

use super::*;

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("nimbus-host-{}", uuid::Uuid::new_v4()))
}

fn boot<'a>(id: &'a str, user_data: Option<&'a [u8]>) -> Boot<'a> {
    Boot {
        id,
        account: "000000000000",
        region: "us-east-1",
        address: Ipv4Addr::new(127, 1, 0, 1),
        first_boot: user_data,
        image_folder: None,
        variables: vec![],
    }
}

/// Waits (at most 5 s) until `check` holds.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn the_first_boot_runs_user_data_in_the_instance_folder() {
    let dir = temp_dir();
    let (host, _exits) = Host::new(&dir, "http://127.0.0.1:4566".into(), Clock::real());
    let script = b"#!/bin/sh\necho \"hello from $NIMBUS_INSTANCE_ID\"\necho made > made.txt\n";
    host.boot(boot("i-1", Some(script))).unwrap();
    let console = || String::from_utf8_lossy(&host.console("i-1")).into_owned();
    assert!(eventually(|| console().contains("booted")).await, "{}", console());
    assert!(console().contains("hello from i-1"));
    assert_eq!(
        std::fs::read_to_string(host.layout("i-1").root().join("made.txt")).unwrap(),
        "made\n"
    );
    // A later boot does not run it again.
    host.halt("i-1", Duration::from_millis(10));
    host.boot(boot("i-1", None)).unwrap();
    assert!(eventually(|| console().matches("booted").count() == 2).await);
    assert_eq!(console().matches("hello from").count(), 1);
    host.kill_all();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_instance_that_shuts_itself_down_is_reported_and_one_nimbus_ends_is_not() {
    let dir = temp_dir();
    let (host, mut exits) = Host::new(&dir, String::new(), Clock::real());
    host.boot(boot("i-2", Some(b"#!/bin/sh\nsleep 0.1\nshutdown -h now\n")))
        .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), exits.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((exit.id.as_str(), exit.reboot), ("i-2", false));
    host.boot(boot("i-3", Some(b"#!/bin/sh\nsleep 0.1\nreboot\n")))
        .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), exits.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((exit.id.as_str(), exit.reboot), ("i-3", true));
    host.boot(boot("i-4", None)).unwrap();
    host.halt("i-4", Duration::from_millis(10));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), exits.recv())
            .await
            .is_err()
    );
    host.kill_all();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn leftovers_of_a_crashed_run_are_ended_by_their_pid_file() {
    let dir = temp_dir();
    let (host, _exits) = Host::new(&dir, String::new(), Clock::real());
    host.boot(boot("i-5", None)).unwrap();
    let group = read_pid_file(&host.layout("i-5").pid_file()).unwrap();
    // A new run of nimbus knows nothing of the process but its file.
    let (later, _) = Host::new(&dir, String::new(), Clock::real());
    later.end_leftovers("i-5");
    let gone = || start_time(group).is_none() || is_zombie(group);
    assert!(eventually(gone).await);
    host.forget("i-5", None);
    std::fs::remove_dir_all(dir).unwrap();
}
