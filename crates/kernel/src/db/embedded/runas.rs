//! Running PostgreSQL as an unprivileged user when Tessera runs as root:
//! the user, and the directories made reachable for it.

use super::*;

/// The unprivileged user PostgreSQL runs as when we are root.
#[derive(Clone, Copy, Debug)]
pub(super) struct RunAs {
    pub(super) uid: Uid,
    pub(super) gid: Gid,
}

impl RunAs {
    pub(super) fn resolve(name: &str) -> Result<Option<RunAs>> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        let user = User::from_name(name)
            .with_context(|| format!("looking up the system user `{name}`"))?
            .ok_or_else(|| {
                anyhow!(
                    "Tessera runs as root, so PostgreSQL must run as an unprivileged user, but the \
                     user `{name}` does not exist; create it or set database.embedded.system_user"
                )
            })?;
        if user.uid.is_root() {
            bail!(
                "database.embedded.system_user `{name}` is root; PostgreSQL refuses to run as root"
            );
        }
        Ok(Some(RunAs { uid: user.uid, gid: user.gid }))
    }
}

pub(super) fn prepare_dirs(
    layout: &Layout,
    install: &PgInstall,
    runas: Option<&RunAs>,
) -> Result<()> {
    fs::create_dir_all(&layout.data_dir)?;
    fs::create_dir_all(layout.run_dir())?;
    fs::set_permissions(layout.run_dir(), fs::Permissions::from_mode(0o700))?;
    if let Some(r) = runas {
        // PostgreSQL (as `r`) must reach the cluster, the socket directory
        // and its own binaries: add search permission (o+x, not read) to
        // every ancestor that lacks it, and hand it the directories it owns.
        for target in [layout.pgdata(), layout.run_dir(), install.root.clone()] {
            allow_traversal(&target)?;
        }
        chown(&layout.run_dir(), r)?;
        if layout.pgdata().exists() {
            chown_tree(&layout.pgdata(), r)?;
        }
    }
    Ok(())
}

pub(super) fn allow_traversal(path: &Path) -> Result<()> {
    let mut cur = path.parent();
    while let Some(dir) = cur {
        if dir.as_os_str().is_empty() {
            break;
        }
        let meta = fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            tracing::warn!(
                dir = %dir.display(),
                "adding search permission (o+x) so PostgreSQL, which cannot run as root, can reach its files"
            );
            fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o001))
                .with_context(|| format!("adding o+x to {}", dir.display()))?;
        }
        cur = dir.parent();
    }
    Ok(())
}

pub(super) fn chown(path: &Path, r: &RunAs) -> Result<()> {
    nix::unistd::chown(path, Some(r.uid), Some(r.gid))
        .with_context(|| format!("giving {} to the PostgreSQL user", path.display()))
}

/// Gives the tree to the PostgreSQL user. Entries that vanish during the
/// walk are skipped: the backends of a PostgreSQL killed with its server
/// may still be removing their temporary files.
pub(super) fn chown_tree(path: &Path, r: &RunAs) -> Result<()> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let meta = match fs::symlink_metadata(path) {
        Err(e) if gone(&e) => return Ok(()),
        m => m.with_context(|| format!("reading {}", path.display()))?,
    };
    if meta.uid() != r.uid.as_raw() || meta.gid() != r.gid.as_raw() {
        match nix::unistd::chown(path, Some(r.uid), Some(r.gid)) {
            Err(nix::errno::Errno::ENOENT) => return Ok(()),
            other => other
                .with_context(|| format!("giving {} to the PostgreSQL user", path.display()))?,
        }
    }
    if meta.is_dir() {
        let entries = match fs::read_dir(path) {
            Err(e) if gone(&e) => return Ok(()),
            entries => entries.with_context(|| format!("reading {}", path.display()))?,
        };
        for entry in entries {
            match entry {
                Err(e) if gone(&e) => {}
                entry => chown_tree(&entry?.path(), r)?,
            }
        }
    }
    Ok(())
}
