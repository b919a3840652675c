//! What sluice hands to others: the exported bundle, temporary
//! credentials for a connector that takes keys, Snowflake's two steps, and
//! the shell completion scripts and manual pages made from the clap
//! definitions.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::inputs::read_user_key;
use super::print::print_json;
use super::{Cli, CredentialsArgs, ExportArgs, GlobalOpts, SnowflakeArgs};
use crate::aws::Connected;
use crate::export;
use crate::spec;

/// `sluice completions SHELL`: the completion script, from the same clap
/// definitions that parse the command line.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> Result<()> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Generated into memory: clap_complete panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "sluice", &mut script);
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("cannot write the completion script")
}

/// sluice(1), the manual page of the whole command line, as roff.
pub fn man_page() -> Result<Vec<u8>> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .context("cannot render the manual page")?;
    Ok(page)
}

/// The manual for a bundle, as one roff file: sluice(1), then the page of
/// each command (sluice-plan(1), sluice-apply(1), …), as `man -l` shows them
/// one after the other.
pub fn manual_text() -> Result<String> {
    // As clap_mangen::generate_to names them: built, each command's page is
    // titled by its display name (sluice-apply).
    let mut command = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    command.build();
    let mut pages = man_page()?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        clap_mangen::Man::new(sub.clone())
            .render(&mut pages)
            .context("cannot render the manual page")?;
    }
    String::from_utf8(pages).context("the manual page is not UTF-8")
}

/// `sluice man`: sluice(1) on stdout, or every page into `out`.
pub(super) fn man(out: Option<&Path>) -> Result<ExitCode> {
    match out {
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&man_page()?)
                .and_then(|()| stdout.flush())
                .context("cannot write the manual page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "1"))
                .collect();
            pages.sort();
            for page in pages {
                println!("{}", page.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn export(args: &ExportArgs, global: &GlobalOpts) -> Result<ExitCode> {
    let spec = args.spec.load_offline(global)?;
    let key = read_user_key(args.key_file.as_deref())?;
    let files = export::bundle_with_key(
        &spec,
        args.format,
        key.as_ref().map(|k| k.access_key_id.as_str()),
        Some(manual_text()?),
    );
    let written = export::write_bundle(&args.out, &files)
        .with_context(|| format!("cannot write the bundle into {}", args.out.display()))?;
    if args.output.json() {
        print_json(&serde_json::json!({
            "files": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }));
    } else {
        for path in &written {
            println!("{}", path.display());
        }
    }
    for finding in crate::docs::lint(&spec) {
        eprintln!("{finding}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn credentials(global: &GlobalOpts, args: &CredentialsArgs) -> Result<ExitCode> {
    use crate::aws::credentials::{Kind, make, render};
    // The secret goes to the terminal once, or to a 0600 file: never a pipe or a log.
    if args.out.is_none() && !std::io::stdout().is_terminal() {
        bail!(
            "stdout is not a terminal: the secret would land in a pipe or a log; pass --out FILE (written with mode 0600)"
        );
    }
    let user_key = read_user_key(args.key_file.as_deref())?;
    let Connected { clients, spec, .. } = args.spec.connect(global).await?;
    let clients = match &user_key {
        Some(key) => clients.with_key(&key.access_key_id, key.secret_access_key.expose()),
        None => clients,
    };
    let kind = if args.session {
        Kind::Session
    } else {
        Kind::Federated
    };
    let creds = make(&clients, &spec, kind, Duration::from_secs(args.duration)).await?;
    let json = args.output.json();
    let text = if json {
        crate::docs::to_pretty(&serde_json::json!({
            "access_key_id": creds.access_key_id,
            "secret_access_key": creds.secret_access_key.expose(),
            "session_token": creds.session_token.expose(),
            "expiration": creds.expiration,
            "region": spec.region,
        }))
    } else {
        render(&spec, &creds)
    };
    match &args.out {
        Some(path) => {
            crate::fsutil::write_atomic(path, text.as_bytes(), Some(0o600))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if json {
                // The secret is in the file only.
                print_json(&serde_json::json!({
                    "access_key_id": creds.access_key_id,
                    "expiration": creds.expiration,
                    "file": path.display().to_string(),
                }));
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "wrote temporary credentials {} (expire {}) to {} (mode 0600)",
                creds.access_key_id,
                creds.expiration,
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `sluice snowflake`: step 1's SQL, and step 2's values into the spec.
pub(super) fn snowflake(global: &GlobalOpts, args: &SnowflakeArgs) -> Result<ExitCode> {
    use crate::docs::snowflake::{Names, step_one_sql};
    use crate::spec::snowflake as sf;
    let config = &args.spec.config;
    let spec = args.spec.load(global)?;
    if !spec.profile().two_steps {
        bail!(
            "{} follows {}'s guide (connector {}): `sluice snowflake` is for a spec made with --connector snowflake",
            config.display(),
            spec.profile().vendor,
            spec.connector
        );
    }
    let integration = args
        .desc_integration
        .as_deref()
        .map(|file| -> Result<sf::Integration> {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            sf::parse_desc_integration(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
        })
        .transpose()?;
    let pipe = Names::of(&spec).pipe;
    let channel = match (&args.notification_channel, &args.show_pipes) {
        (Some(arn), _) => Some((arn.trim().to_owned(), "--notification-channel".to_owned())),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let arn = sf::parse_show_pipes(&text, &pipe)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            Some((arn, file.display().to_string()))
        }
        (None, None) => None,
    };
    if let Some((arn, origin)) = &channel {
        sf::notification_channel(arn, &spec.region)
            .map_err(|e| anyhow::anyhow!("{origin}: {}: {e}", sf::NOTIFICATION_CHANNEL))?;
    }
    let settings = sf::settings(
        integration.as_ref(),
        channel.as_ref().map(|(a, _)| a.as_str()),
    );
    let mut set = serde_json::Map::new();
    let mut pending = spec.pending_vendor_values();
    if !settings.is_empty() {
        let text = std::fs::read_to_string(config)
            .with_context(|| format!("cannot read {}", config.display()))?;
        let origin = config.display().to_string();
        let (text, loaded) = spec::set_in_text(&text, &settings, &origin)
            .map_err(|e| anyhow::anyhow!("{e}\nnothing was written"))?;
        crate::fsutil::write_atomic(config, text.as_bytes(), None)
            .with_context(|| format!("cannot write {}", config.display()))?;
        for s in &settings {
            set.insert(s.path.clone(), s.value.clone());
        }
        pending = loaded.spec.pending_vendor_values();
    }
    let show_sql = args.sql || settings.is_empty();
    let sql = show_sql.then(|| step_one_sql(&spec));
    let next = format!("sluice apply --config {}", config.display());
    if args.output.json() {
        print_json(&serde_json::json!({
            "config": config.display().to_string(),
            "set": set,
            "pending": pending,
            "step": if pending.is_empty() { 2 } else { 1 },
            "sql": sql,
            "next": if set.is_empty() { None } else { Some(&next) },
        }));
        return Ok(ExitCode::SUCCESS);
    }
    for (path, value) in &set {
        eprintln!("set {path} to {value} in {}", config.display());
    }
    if !set.is_empty() {
        if pending.is_empty() {
            eprintln!(
                "next: {next} (the role then trusts Snowflake's IAM user with its external ID, and the bucket notifies the pipe's queue); then sluice verify"
            );
        } else {
            eprintln!(
                "still to come from Snowflake: {}; {next} now writes what is given",
                pending.join(", ")
            );
        }
    }
    if let Some(sql) = sql {
        if spec.account_id.is_none() {
            eprintln!(
                "note: {} names no account_id, so the role's ARN shows {}; sluice apply prints this SQL with the account filled in",
                config.display(),
                crate::docs::ACCOUNT_PLACEHOLDER
            );
        }
        print!("{sql}");
    }
    Ok(ExitCode::SUCCESS)
}
