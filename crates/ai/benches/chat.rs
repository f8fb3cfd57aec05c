//! Local generation: tokens per second and time to first token, for
//! llama.cpp's bare decode loop (what llama-bench does, on the same
//! library), the model through our wrapper (prompt, sampling, stop
//! sequences, streaming), and the whole stack (the /v1 gateway over a
//! socket, against a running `tessera serve` named by `TESSERA_URL` and
//! `TESSERA_TOKEN`), and llama.cpp's own llama-bench (`LLAMA_BENCH`). They
//! alternate, round after round, so the machine's noise hits them alike;
//! medians are reported. Each in-process measurement runs in a process of
//! its own, like llama-bench and the server.
//!
//!     cargo bench -p ai --bench chat -- [threads] [max_tokens] [rounds]

use std::time::{Duration, Instant};

use ai::chat::local::{LocalChat, LocalChatOptions};
use ai::chat::{ChatEvent, ChatModel, ChatRequest, Message, Role};
use futures::StreamExt;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::token::LlamaToken;
use serde_json::json;

const QUESTION: &str = "Explain in detail how a small shop in Pune should keep its accounts, \
    issue GST invoices, track payments from customers and plan its cash for the next quarter.";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (time to first token, tokens/s after it, tokens)
type Run = (Duration, f64, u32);

fn bare(
    ctx: &mut LlamaContext<'_>,
    prompt: usize,
    generate: usize,
) -> anyhow::Result<(Duration, f64)> {
    let token = LlamaToken::new(1000);
    ctx.clear_kv_cache();
    let mut batch = LlamaBatch::new(512, 1);
    for i in 0..prompt {
        batch.add(token, i as i32, &[0], i + 1 == prompt)?;
    }
    let t = Instant::now();
    ctx.decode(&mut batch)?;
    let pp = t.elapsed();
    let t = Instant::now();
    for i in 0..generate {
        batch.clear();
        batch.add(token, (prompt + i) as i32, &[0], true)?;
        ctx.decode(&mut batch)?;
    }
    Ok((pp, generate as f64 / t.elapsed().as_secs_f64()))
}

async fn wrapper(model: &LocalChat, max_tokens: u32) -> anyhow::Result<Run> {
    let req = ChatRequest {
        temperature: Some(0.0),
        max_tokens: Some(max_tokens),
        ..ChatRequest::new(vec![Message::new(Role::User, QUESTION)])
    };
    let started = Instant::now();
    let mut s = model.stream(req).await?;
    let (mut first, mut n) = (None, 0);
    while let Some(e) = s.next().await {
        match e? {
            ChatEvent::Delta(_) if first.is_none() => first = Some(Instant::now()),
            ChatEvent::Done { usage, .. } => n = usage.completion_tokens,
            _ => {}
        }
    }
    let first = first.unwrap_or_else(Instant::now);
    Ok((first - started, f64::from(n.saturating_sub(1)) / first.elapsed().as_secs_f64(), n))
}

async fn gateway(url: &str, token: &str, max_tokens: u32) -> anyhow::Result<Run> {
    let started = Instant::now();
    let resp = testkit::http()
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(token)
        .json(
            &json!({ "model": "local", "stream": true, "temperature": 0, "max_tokens": max_tokens,
                       "stream_options": { "include_usage": true },
                       "messages": [{ "role": "user", "content": QUESTION }] }),
        )
        .send()
        .await?;
    let mut body = resp.bytes_stream();
    let (mut first, mut n, mut buf) = (None, 0u32, String::new());
    while let Some(chunk) = body.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(i) = buf.find("\n\n") {
            let event: String = buf.drain(..i + 2).collect();
            let Some(data) = event.trim().strip_prefix("data: ") else { continue };
            if data == "[DONE]" {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(data)?;
            if first.is_none()
                && v["choices"][0]["delta"]["content"].as_str().is_some_and(|c| !c.is_empty())
            {
                first = Some(Instant::now());
            }
            if let Some(c) = v["usage"]["completion_tokens"].as_u64() {
                n = c as u32;
            }
        }
    }
    let first = first.unwrap_or_else(Instant::now);
    Ok((first - started, f64::from(n.saturating_sub(1)) / first.elapsed().as_secs_f64(), n))
}

/// One run of llama.cpp's own llama-bench (when `LLAMA_BENCH` names it):
/// (prompt milliseconds, generation tokens/s).
fn llama_bench(
    bin: &str,
    model: &std::path::Path,
    threads: usize,
    prompt: usize,
    generate: u32,
) -> anyhow::Result<(f64, f64)> {
    let out = std::process::Command::new(bin)
        .arg("-m")
        .arg(model)
        .args([
            "-t",
            &threads.to_string(),
            "-p",
            &prompt.to_string(),
            "-n",
            &generate.to_string(),
            "-r",
            "1",
            "-o",
            "json",
        ])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "llama-bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)?;
    let rate = |f: &dyn Fn(&serde_json::Value) -> bool| {
        runs.iter().find(|r| f(r)).and_then(|r| r["avg_ts"].as_f64()).unwrap_or(f64::NAN)
    };
    let pp = rate(&|r| r["n_gen"] == 0);
    let tg = rate(&|r| r["n_prompt"] == 0);
    Ok((prompt as f64 / pp * 1000.0, tg))
}

/// One measurement in a process of its own (`--child bare|wrapper`), so
/// that it leads the only OpenMP team in its process, as llama-bench and
/// `tessera serve` do: libgomp throttles barrier spinning once the teams
/// of a process outnumber the cores, which would handicap whichever ran
/// second. Prints `prompt_tokens ttft_ms tokens_per_s tokens`.
fn child(
    mode: &str,
    threads: usize,
    max_tokens: u32,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let model = LocalChat::load(
            path,
            LocalChatOptions { threads, parallel: 1, context: 2048, max_tokens: 2048 },
        )?;
        let prompt = model
            .tokenize(&ai::chat::prompt::transcript(&[Message::new(Role::User, QUESTION)]))
            .len();
        let (ttft, rate, n) = if mode == "bare" {
            drop(model);
            let backend = ai::chat::local::backend().map_err(|e| anyhow::anyhow!("{e}"))?;
            let raw = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())?;
            let params = LlamaContextParams::default()
                .with_n_ctx(std::num::NonZeroU32::new(2048))
                .with_n_batch(512)
                .with_n_threads(threads as i32)
                .with_n_threads_batch(threads as i32);
            let mut ctx = raw.new_context(backend, params)?;
            bare(&mut ctx, prompt, 16)?;
            let (pp, tg) = bare(&mut ctx, prompt, max_tokens as usize)?;
            (pp, tg, max_tokens)
        } else {
            wrapper(&model, 16).await?;
            wrapper(&model, max_tokens).await?
        };
        println!("{prompt} {} {rate} {n}", ttft.as_secs_f64() * 1000.0);
        anyhow::Ok(())
    })
}

fn run_child(
    mode: &str,
    threads: usize,
    max_tokens: u32,
) -> anyhow::Result<(usize, f64, f64, f64)> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--child", mode, &threads.to_string(), &max_tokens.to_string()])
        .stderr(std::process::Stdio::null())
        .output()?;
    anyhow::ensure!(out.status.success(), "the {mode} run failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let f: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    anyhow::ensure!(f.len() == 4, "the {mode} run printed {line:?}");
    Ok((f[0] as usize, f[1], f[2], f[3]))
}

fn main() -> anyhow::Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let runtime = std::env::var("TESSERA_RUNTIME_DIR").unwrap_or_else(|_| "data/runtime".into());
    let path = kernel::assets::GEMMA
        .install_dir(std::path::Path::new(&runtime))
        .join(kernel::assets::GEMMA_FILE);
    if all.first().map(String::as_str) == Some("--child") {
        let threads = all.get(2).and_then(|a| a.parse().ok()).unwrap_or(2);
        let max_tokens = all.get(3).and_then(|a| a.parse().ok()).unwrap_or(128);
        return child(&all[1], threads, max_tokens, &path);
    }
    let args: Vec<String> = all.into_iter().filter(|a| !a.starts_with("--")).collect();
    let threads: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2);
    let max_tokens: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(128);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(7);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        // The gateway of a running server (`tessera serve`), when given:
        // measured over HTTP from this process, the server in its own.
        let target = std::env::var("TESSERA_URL").ok().zip(std::env::var("TESSERA_TOKEN").ok());
        if let Some((url, token)) = &target {
            gateway(url, token, 16).await?; // loads the server's model
        }
        let llama_bench_bin = std::env::var("LLAMA_BENCH").ok();
        let mut prompt = 0;
        let (mut lb_pp, mut lb_tg) = (Vec::new(), Vec::new());
        let (mut pp, mut tg) = (Vec::new(), Vec::new());
        let (mut w_ttft, mut w_rate, mut w_n) = (Vec::new(), Vec::new(), Vec::new());
        let (mut g_ttft, mut g_rate, mut g_n) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (p, ms, t, _) = run_child("bare", threads, max_tokens)?;
            prompt = p;
            pp.push(ms);
            tg.push(t);
            if let Some(bin) = &llama_bench_bin {
                let (p, t) = llama_bench(bin, &path, threads, prompt, max_tokens)?;
                lb_pp.push(p);
                lb_tg.push(t);
            }
            let (_, f, r, n) = run_child("wrapper", threads, max_tokens)?;
            w_ttft.push(f);
            w_rate.push(r);
            w_n.push(n);
            if let Some((url, token)) = &target {
                let (f, r, n) = gateway(url, token, max_tokens).await?;
                g_ttft.push(f.as_secs_f64() * 1000.0);
                g_rate.push(r);
                g_n.push(f64::from(n));
            }
        }
        let (pp, tg) = (median(pp), median(tg));
        println!("prompt: {prompt} tokens; {threads} threads; medians of {rounds} alternating rounds");
        println!("bare llama.cpp decode loop (same library): prompt in {pp:.1} ms, generation {tg:.1} tokens/s");
        let reference = if lb_tg.is_empty() {
            None
        } else {
            let (p, t) = (median(lb_pp), median(lb_tg));
            println!("llama.cpp's own llama-bench: prompt in {p:.1} ms, generation {t:.1} tokens/s");
            Some((p, t))
        };
        for (what, ttft, rate, n) in [
            ("local model through our wrapper (in a process of its own)", w_ttft, w_rate, w_n),
            ("tessera serve, /v1/chat/completions streamed over HTTP", g_ttft, g_rate, g_n),
        ] {
            if rate.is_empty() {
                continue;
            }
            let (ttft, rate, n) = (median(ttft), median(rate), median(n));
            println!(
                "{what}: {rate:.1} tokens/s after the first ({:.2}x the bare loop, {n:.0} tokens), first token {ttft:.1} ms (prompt time + {:.1} ms, {:.2}x)",
                rate / tg,
                ttft - pp,
                ttft / pp
            );
            if let Some((p, t)) = reference {
                println!("    vs llama-bench: {:.2}x its generation rate; first token {:.2}x its prompt time", rate / t, ttft / p);
            }
        }
        anyhow::Ok(())
    })
}
