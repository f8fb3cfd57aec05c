//! The command line: help, configuration errors, setup.

use crate::common;

use common::{data_dir, run, tessera};

#[test]
fn help_on_every_command() {
    let dir = data_dir();
    for args in [
        vec!["--help"],
        vec!["setup", "--help"],
        vec!["serve", "--help"],
        vec!["worker", "--help"],
        vec!["migrate", "--help"],
        vec!["doctor", "--help"],
    ] {
        let mut cmd = tessera(dir.path());
        cmd.args(&args);
        let out = run(cmd);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "{args:?}: {text}");
        if args.len() == 2 {
            assert!(text.contains("--data-dir"), "{args:?} has --data-dir: {text}");
        }
    }
    let mut cmd = tessera(dir.path());
    cmd.args(["serve", "--help"]);
    assert!(String::from_utf8_lossy(&run(cmd).stdout).contains("--port"));
}

#[test]
fn unknown_configuration_keys_are_named() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("doctor").env("TESSERA_HTTP__PROT", "80");
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`http.prot`") && err.contains("TESSERA_HTTP__PROT"), "{err}");

    std::fs::write(dir.path().join("tessera.toml"), "[database]\nmax_conections = 3\n").unwrap();
    let mut cmd = tessera(dir.path());
    cmd.arg("doctor");
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`database.max_conections`") && err.contains("tessera.toml"), "{err}");

    let clean = data_dir();
    let mut cmd = tessera(clean.path());
    cmd.arg("doctor").env("TESSERA_AI__EMBED_PRECISION", "fp16");
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`ai.embed_precision`") && err.contains("int8"), "{err}");

    let mut cmd = tessera(dir.path());
    cmd.args(["--config", "/nonexistent/t.toml", "doctor"]);
    let out = run(cmd);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read configuration file"));

    let mut cmd = tessera(dir.path());
    cmd.args(["serve", "--config", "/dev/null"]).env("TESSERA_PORT", "http");
    let out = run(cmd);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http.port") && err.contains("TESSERA_PORT"), "{err}");
}

#[test]
fn setup_is_idempotent() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("setup").arg("--runtime-dir").arg(testkit::runtime_dir());
    let out = run(cmd);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already installed"));
}

#[test]
fn setup_explains_a_missing_python() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.arg("setup")
        .arg("--data-dir")
        .arg(dir.path())
        .env("PATH", "/nonexistent")
        .env_remove("TESSERA_RUNTIME_DIR");
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("python3 is not installed") && err.contains("apt-get install"), "{err}");
}

#[test]
fn serve_without_setup_says_to_run_it() {
    let dir = data_dir();
    let mut cmd = tessera(dir.path());
    cmd.args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .env("TESSERA_RUNTIME_DIR", dir.path().join("empty"));
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `tessera setup`"), "{err}");
}
