//! Sinks from the environment (`K_SINK`, `CEP_SINK`), and a bad sink stopping the real binary.
//! The only test binary that sets variables in its own process: one test does, so none races it.
#![cfg(feature = "ssr")]

use cloudevent_player::server::config::{Config, Sink};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn k_sink_and_cep_sink_come_from_the_environment() {
    // SAFETY: the only test in this binary that touches the environment; the others spawn
    // processes with an environment of their own.
    unsafe {
        std::env::set_var("K_SINK", "http://broker-ingress.knative-eventing.svc.cluster.local/demo/default");
        std::env::set_var("CEP_SINK", "orders=http://localhost:9000/,audit=https://audit.example.com/ce");
    }
    let config = Config::try_from_args(["cloudevent-player"]).unwrap();
    let sinks: Vec<(String, String)> =
        config.all_sinks().into_iter().map(|Sink { name, url }| (name, url.to_string())).collect();
    assert_eq!(
        sinks,
        [
            ("k-sink".into(), "http://broker-ingress.knative-eventing.svc.cluster.local/demo/default".into()),
            ("orders".into(), "http://localhost:9000/".into()),
            ("audit".into(), "https://audit.example.com/ce".into()),
        ]
    );
}

#[test]
fn a_bad_sink_stops_start_up_naming_the_flag() {
    let binary = env!("CARGO_BIN_EXE_cloudevent-player");
    for (var, value, flag) in
        [("K_SINK", "ftp://example.com/", "--k-sink"), ("CEP_SINK", "Orders=http://x/", "--sink")]
    {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .env_clear()
            .env(var, value)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{var}={value} must stop start-up, but the server is running");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success(), "{var}={value} must stop start-up");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{var}={value}: {stderr}");
    }
}
