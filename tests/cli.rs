//! `--help` is the configuration reference (DESIGN §7): every flag of the config struct appears in
//! it with its environment variable and a description, and it names no flag the struct lacks.
#![cfg(feature = "ssr")]

use clap::CommandFactory;
use cloudevent_player::server::config::Config;
use std::collections::BTreeSet;
use std::process::Command;

fn help() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudevent-player")).arg("--help").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn help_documents_every_flag_with_its_environment_variable() {
    let help = help();
    let command = Config::command();
    let mut documented = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if ["help", "version"].contains(&long) {
            continue;
        }
        documented += 1;
        let flag = format!("--{long}");
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "{flag} missing:\n{help}"
        );
        let env = arg.get_env().unwrap_or_else(|| panic!("{flag} has no environment variable"));
        let env = env.to_str().unwrap();
        assert!(help.contains(&format!("[env: {env}")), "{flag}: `[env: {env}` missing from --help:\n{help}");
        assert!(arg.get_help().is_some_and(|h| !h.to_string().is_empty()), "{flag} has no description");
    }
    assert!(documented >= 20, "only {documented} flags found");
}

#[test]
fn help_names_no_flag_the_config_lacks() {
    let known: BTreeSet<String> =
        Config::command().get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")).collect();
    let help = help();
    for word in help.split_whitespace().filter(|w| w.starts_with("--") && w.len() > 2) {
        let flag: String = word.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        assert!(
            known.contains(&flag) || flag == "--help" || flag == "--version",
            "--help mentions {flag}, which is not a flag"
        );
    }
}
