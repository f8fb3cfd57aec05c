//! A BERT sentence encoder (all-MiniLM-L6-v2 and its relatives) on the
//! CPU, as sentence-transformers runs it: WordPiece tokens (truncated to
//! the model's `max_seq_length`), the transformer, mean pooling over the
//! tokens, L2 normalisation.
//!
//! Sequences are packed, not padded: a batch's tokens form one matrix for
//! the dense layers, and attention runs per sequence, so no arithmetic is
//! spent on padding. A batch is split across threads by token count.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use safetensors::SafeTensors;
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::gemm::{self, Activation, AttentionScratch, Cpu, Kernel, Precision, Scratch, Weight};
use crate::math;

/// Tokens per chunk of the forward pass (bounds activation memory).
const CHUNK_TOKENS: usize = 1024;

#[derive(Debug, Clone, Deserialize)]
struct Config {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f32,
    #[serde(default)]
    hidden_act: Option<String>,
}

fn default_eps() -> f32 {
    1e-12
}

#[derive(Debug, Deserialize)]
struct SentenceConfig {
    max_seq_length: usize,
}

#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

#[derive(Clone)]
struct Norm {
    g: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    qkv: Weight,
    out: Weight,
    ln1: Norm,
    up: Weight,
    down: Weight,
    ln2: Norm,
}

/// A layer's f32 tensors as read: the four dense layers (weight, bias,
/// outputs, inputs) in order qkv, attention output, up, down.
struct RawLayer {
    dense: [(Vec<f32>, Vec<f32>, usize, usize); 4],
    ln1: Norm,
    ln2: Norm,
}

impl RawLayer {
    /// The layer packed for `kernel`, with each dense layer's input
    /// channels rescaled by `smoothing` when given.
    fn build(&self, kernel: Kernel, smoothing: Option<&[Vec<f32>; 4]>) -> Layer {
        let dense = |d: usize| {
            let (w, b, n, k) = &self.dense[d];
            match smoothing {
                Some(s) => Weight::smoothed(w, b, *n, *k, kernel, &s[d]),
                None => Weight::with_kernel(w, b, *n, *k, kernel),
            }
        };
        Layer {
            qkv: dense(0),
            out: dense(1),
            ln1: Norm { g: self.ln1.g.clone(), b: self.ln1.b.clone() },
            up: dense(2),
            down: dense(3),
            ln2: Norm { g: self.ln2.g.clone(), b: self.ln2.b.clone() },
        }
    }
}

/// Text the int8 path's smoothing is measured on: ordinary prose of the
/// kinds the embedder sees, and the shortest inputs (whose `[CLS]` and
/// `[SEP]` rows carry the largest activations).
const CALIBRATION: &[&str] = &[
    "",
    "hello",
    "What is the GST rate on restaurant services?",
    "The invoice INV-2026-0042 is overdue by twelve days; please pay the balance of ₹18,450.",
    "How do I reset my password if I no longer have access to my email?",
    "Refunds for damaged goods are issued within seven working days of the return.",
    "The os.path module implements some useful functions on pathnames.",
    "Returns a new list containing all items from the iterable in ascending order.",
    "Our store opens at 9 am and closes at 9 pm, Monday to Saturday.",
    "TDS under section 194J is deducted at 10% on professional fees above the threshold.",
    "A context manager is an object that defines the runtime context to be established.",
    "Customers in Karnataka pay CGST and SGST; buyers in other states pay IGST.",
    "Can I change the delivery address after placing the order?",
    "The warranty covers manufacturing defects for one year from the date of purchase.",
    "Raise ValueError when the argument has the right type but an inappropriate value.",
    "Quarterly revenue grew 14 percent while operating costs stayed flat.",
];

/// The loaded model.
pub struct Bert {
    cfg: Config,
    max_tokens: usize,
    tokenizer: Tokenizer,
    word: Vec<f32>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_ln: Norm,
    layers: Vec<Layer>,
    precision: Precision,
    threads: usize,
    /// Activation buffers of finished calls, reused by the next ones (a
    /// fresh set costs page faults on every batch).
    spare: std::sync::Mutex<Vec<Workspace>>,
}

impl std::fmt::Debug for Bert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bert")
            .field("hidden", &self.cfg.hidden_size)
            .field("layers", &self.cfg.num_hidden_layers)
            .field("precision", &self.precision)
            .finish()
    }
}

fn tensor(st: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let t = st
        .tensor(name)
        .or_else(|_| st.tensor(&format!("bert.{name}")))
        .with_context(|| format!("the model has no tensor `{name}`"))?;
    ensure!(t.shape() == shape, "tensor `{name}` has shape {:?}, expected {shape:?}", t.shape());
    ensure!(
        t.dtype() == safetensors::Dtype::F32,
        "tensor `{name}` is {:?}, expected F32",
        t.dtype()
    );
    Ok(t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

impl Bert {
    /// Loads a sentence-transformers model directory (`config.json`,
    /// `model.safetensors`, `tokenizer.json`, `sentence_bert_config.json`,
    /// `1_Pooling/config.json`).
    pub fn load(dir: &Path, precision: Precision, threads: usize) -> Result<Bert> {
        Bert::load_on(dir, Cpu::detect(), precision, threads)
    }

    /// Loads for the kernels of `cpu`, which must be this CPU or a subset
    /// of it (`Cpu::default()` gives the portable kernels).
    pub fn load_on(dir: &Path, cpu: Cpu, precision: Precision, threads: usize) -> Result<Bert> {
        let Some(kernel) = cpu.kernel(precision) else {
            bail!(
                "{} arithmetic needs a CPU with AVX-512 BF16; this one has {}",
                precision.as_str(),
                cpu.describe()
            );
        };
        let cfg: Config = read_json(&dir.join("config.json"))?;
        if let Some(act) = &cfg.hidden_act
            && act != "gelu"
        {
            bail!("unsupported activation `{act}` (only BERT's exact GELU)");
        }
        let sentence: SentenceConfig = read_json(&dir.join("sentence_bert_config.json"))?;
        let pooling: PoolingConfig = read_json(&dir.join("1_Pooling/config.json"))?;
        ensure!(pooling.pooling_mode_mean_tokens, "only mean pooling is supported");
        ensure!(
            cfg.hidden_size.is_multiple_of(cfg.num_attention_heads),
            "hidden size not divisible by heads"
        );
        let max_tokens = sentence.max_seq_length.min(cfg.max_position_embeddings);

        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| anyhow::anyhow!("loading tokenizer.json: {e}"))?;
        // The shipped file pads and truncates to 128; sentence-transformers
        // truncates at max_seq_length and pads only within a batch (we
        // never pad: sequences are packed).
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| anyhow::anyhow!("setting truncation: {e}"))?;

        let bytes =
            std::fs::read(dir.join("model.safetensors")).context("reading model.safetensors")?;
        let st = SafeTensors::deserialize(&bytes).context("parsing model.safetensors")?;
        let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
        let vocab = tokenizer.get_vocab_size(true);
        let word = tensor(&st, "embeddings.word_embeddings.weight", &[vocab, h])?;
        let pos = tensor(
            &st,
            "embeddings.position_embeddings.weight",
            &[cfg.max_position_embeddings, h],
        )?;
        let types = tensor(&st, "embeddings.token_type_embeddings.weight", &[2, h])
            .or_else(|_| tensor(&st, "embeddings.token_type_embeddings.weight", &[1, h]))?;
        let emb_ln = Norm {
            g: tensor(&st, "embeddings.LayerNorm.weight", &[h])?,
            b: tensor(&st, "embeddings.LayerNorm.bias", &[h])?,
        };
        let mut raw = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            let mut qkv_w = tensor(&st, &p("attention.self.query.weight"), &[h, h])?;
            qkv_w.extend(tensor(&st, &p("attention.self.key.weight"), &[h, h])?);
            qkv_w.extend(tensor(&st, &p("attention.self.value.weight"), &[h, h])?);
            let mut qkv_b = tensor(&st, &p("attention.self.query.bias"), &[h])?;
            qkv_b.extend(tensor(&st, &p("attention.self.key.bias"), &[h])?);
            qkv_b.extend(tensor(&st, &p("attention.self.value.bias"), &[h])?);
            raw.push(RawLayer {
                dense: [
                    (qkv_w, qkv_b, 3 * h, h),
                    (
                        tensor(&st, &p("attention.output.dense.weight"), &[h, h])?,
                        tensor(&st, &p("attention.output.dense.bias"), &[h])?,
                        h,
                        h,
                    ),
                    (
                        tensor(&st, &p("intermediate.dense.weight"), &[i, h])?,
                        tensor(&st, &p("intermediate.dense.bias"), &[i])?,
                        i,
                        h,
                    ),
                    (
                        tensor(&st, &p("output.dense.weight"), &[h, i])?,
                        tensor(&st, &p("output.dense.bias"), &[h])?,
                        h,
                        i,
                    ),
                ],
                ln1: Norm {
                    g: tensor(&st, &p("attention.output.LayerNorm.weight"), &[h])?,
                    b: tensor(&st, &p("attention.output.LayerNorm.bias"), &[h])?,
                },
                ln2: Norm {
                    g: tensor(&st, &p("output.LayerNorm.weight"), &[h])?,
                    b: tensor(&st, &p("output.LayerNorm.bias"), &[h])?,
                },
            });
        }
        let smoothing = if precision == Precision::Int8 {
            // Each dense layer's input channels are rescaled (SmoothQuant,
            // α = ½): activations divided by s, weights multiplied by it,
            // so that BERT's few outlier channels stop setting every
            // token's quantisation step. s comes from the activations of
            // a fixed calibration text, measured through the f32 model.
            let f32_kernel = cpu.kernel(Precision::F32).unwrap_or(Kernel::F32Portable);
            let reference = Bert {
                max_tokens,
                tokenizer: tokenizer.clone(),
                word: word.clone(),
                pos: pos.clone(),
                token_type: types[..h].to_vec(),
                emb_ln: Norm { g: emb_ln.g.clone(), b: emb_ln.b.clone() },
                layers: raw.iter().map(|r| r.build(f32_kernel, None)).collect(),
                precision: Precision::F32,
                threads: 1,
                spare: std::sync::Mutex::new(Vec::new()),
                cfg: cfg.clone(),
            };
            Some(reference.calibrate()?)
        } else {
            None
        };
        let layers = raw
            .iter()
            .enumerate()
            .map(|(l, r)| r.build(kernel, smoothing.as_ref().map(|s| &s[l])))
            .collect();
        Ok(Bert {
            max_tokens,
            tokenizer,
            word,
            pos,
            token_type: types[..h].to_vec(),
            emb_ln,
            layers,
            precision,
            threads: threads.max(1),
            spare: std::sync::Mutex::new(Vec::new()),
            cfg,
        })
    }

    /// The embedding width.
    pub fn dimensions(&self) -> usize {
        self.cfg.hidden_size
    }

    /// The arithmetic in use.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The matrix kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.layers.first().map_or(Kernel::F32Portable, |l| l.qkv.kernel())
    }

    /// Multiply-adds of the forward pass over sequences of these lengths
    /// (dense layers and attention), for reporting FLOP/s.
    pub fn multiply_adds(&self, lengths: &[usize]) -> u64 {
        let (h, i) = (self.cfg.hidden_size as u64, self.cfg.intermediate_size as u64);
        let per_token = 4 * h * h + 2 * h * i;
        let layers = self.cfg.num_hidden_layers as u64;
        lengths
            .iter()
            .map(|&l| {
                let l = l as u64;
                layers * (l * per_token + 2 * l * l * h)
            })
            .sum()
    }

    /// Tokens per text after truncation.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Token ids of each text (with `[CLS]`/`[SEP]`, truncated).
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        Ok(enc.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Unit-length embeddings of `texts`, in order. Blocks: call it from a
    /// blocking thread.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = self.tokenize(texts)?;
        Ok(self.embed_ids(&ids))
    }

    /// Embeddings of already tokenised texts.
    pub fn embed_ids(&self, ids: &[Vec<u32>]) -> Vec<Vec<f32>> {
        // Longest first, each to the least loaded thread.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let total: usize = ids.iter().map(Vec::len).sum();
        let threads = self.threads.min(ids.len()).min(total.div_ceil(64)).max(1);
        let mut groups: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads];
        for i in order {
            let g = groups.iter_mut().min_by_key(|g| g.0).expect("at least one group");
            g.0 += ids[i].len();
            g.1.push(i);
        }
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); ids.len()];
        let results: Vec<Vec<(usize, Vec<f32>)>> = if threads == 1 {
            vec![self.encode_group(ids, &groups[0].1)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> =
                    groups[1..].iter().map(|g| s.spawn(|| self.encode_group(ids, &g.1))).collect();
                let mut all = vec![self.encode_group(ids, &groups[0].1)];
                for h in handles {
                    all.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
                }
                all
            })
        };
        for (i, v) in results.into_iter().flatten() {
            out[i] = v;
        }
        out
    }

    /// Runs the encoder over some of the texts, chunk by chunk.
    fn encode_group(&self, ids: &[Vec<u32>], members: &[usize]) -> Vec<(usize, Vec<f32>)> {
        let mut out = Vec::with_capacity(members.len());
        let mut ws = self.spare.lock().ok().and_then(|mut v| v.pop()).unwrap_or_default();
        let mut start = 0;
        while start < members.len() {
            let mut end = start;
            let mut tokens = 0;
            while end < members.len()
                && (end == start || tokens + ids[members[end]].len() <= CHUNK_TOKENS)
            {
                tokens += ids[members[end]].len();
                end += 1;
            }
            let chunk: Vec<&[u32]> =
                members[start..end].iter().map(|&i| ids[i].as_slice()).collect();
            let pooled = self.forward(&chunk, &mut ws);
            out.extend(members[start..end].iter().copied().zip(pooled));
            start = end;
        }
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() < self.threads
        {
            spare.push(ws);
        }
        out
    }

    /// Per layer and dense layer, the SmoothQuant input scales measured on
    /// [`CALIBRATION`]: `s_c = √(max|x_c| / max_j |w_jc|)`.
    fn calibrate(&self) -> Result<Vec<[Vec<f32>; 4]>> {
        let ids = self.tokenize(CALIBRATION)?;
        let seqs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        let mut ranges: Vec<[Vec<f32>; 4]> = self
            .layers
            .iter()
            .map(|l| [l.qkv.k(), l.out.k(), l.up.k(), l.down.k()].map(|k| vec![0f32; k]))
            .collect();
        let mut ws = Workspace::default();
        self.forward_recording(&seqs, &mut ws, Some(&mut ranges));
        Ok(ranges
            .into_iter()
            .zip(&self.layers)
            .map(|(r, l)| {
                let mut i = 0;
                r.map(|x_max| {
                    let w = [&l.qkv, &l.out, &l.up, &l.down][i];
                    i += 1;
                    let w_max = w.column_max_abs();
                    x_max
                        .iter()
                        .zip(&w_max)
                        .map(
                            |(&x, &w)| {
                                if x > 0.0 && w > 0.0 {
                                    (x / w).sqrt().clamp(1e-3, 1e3)
                                } else {
                                    1.0
                                }
                            },
                        )
                        .collect()
                })
            })
            .collect())
    }

    /// The transformer over packed sequences; returns each sequence's
    /// normalised mean-pooled embedding.
    fn forward(&self, seqs: &[&[u32]], ws: &mut Workspace) -> Vec<Vec<f32>> {
        self.forward_recording(seqs, ws, None)
    }

    /// [`Bert::forward`], recording each dense layer's largest input
    /// magnitude per channel when asked.
    fn forward_recording(
        &self,
        seqs: &[&[u32]],
        ws: &mut Workspace,
        mut record: Option<&mut Vec<[Vec<f32>; 4]>>,
    ) -> Vec<Vec<f32>> {
        let h = self.cfg.hidden_size;
        let inter = self.cfg.intermediate_size;
        let t: usize = seqs.iter().map(|s| s.len()).sum();
        ws.resize(t, h, inter);

        // Embeddings.
        let mut row = 0;
        for s in seqs {
            for (p, &id) in s.iter().enumerate() {
                let id = (id as usize).min(self.word.len() / h - 1);
                let dst = &mut ws.x[row * h..(row + 1) * h];
                let w = &self.word[id * h..(id + 1) * h];
                let ps = &self.pos[p * h..(p + 1) * h];
                for j in 0..h {
                    dst[j] = w[j] + ps[j] + self.token_type[j];
                }
                row += 1;
            }
        }
        let eps = self.cfg.layer_norm_eps;
        math::layer_norm(&mut ws.x[..t * h], h, &self.emb_ln.g, &self.emb_ln.b, eps);

        let none = Activation::None;
        let note = |ranges: &mut Vec<f32>, xs: &[f32]| {
            for row in xs.chunks_exact(ranges.len()) {
                for (m, x) in ranges.iter_mut().zip(row) {
                    *m = m.max(x.abs());
                }
            }
        };
        for (l, layer) in self.layers.iter().enumerate() {
            if let Some(r) = record.as_deref_mut() {
                note(&mut r[l][0], &ws.x[..t * h]);
            }
            layer.qkv.forward(&ws.x, t, &mut ws.qkv, none, &mut ws.scratch);
            self.attention(seqs, ws);
            if let Some(r) = record.as_deref_mut() {
                note(&mut r[l][1], &ws.ctx[..t * h]);
            }
            layer.out.forward(&ws.ctx, t, &mut ws.tmp, none, &mut ws.scratch);
            for (x, o) in ws.x[..t * h].iter_mut().zip(&ws.tmp[..t * h]) {
                *x += o;
            }
            math::layer_norm(&mut ws.x[..t * h], h, &layer.ln1.g, &layer.ln1.b, eps);
            if let Some(r) = record.as_deref_mut() {
                note(&mut r[l][2], &ws.x[..t * h]);
            }
            layer.up.forward(&ws.x, t, &mut ws.inter, Activation::Gelu, &mut ws.scratch);
            if let Some(r) = record.as_deref_mut() {
                note(&mut r[l][3], &ws.inter[..t * inter]);
            }
            layer.down.forward(&ws.inter, t, &mut ws.tmp, none, &mut ws.scratch);
            for (x, o) in ws.x[..t * h].iter_mut().zip(&ws.tmp[..t * h]) {
                *x += o;
            }
            math::layer_norm(&mut ws.x[..t * h], h, &layer.ln2.g, &layer.ln2.b, eps);
        }

        // Mean pooling and normalisation.
        let mut out = Vec::with_capacity(seqs.len());
        let mut row = 0;
        for s in seqs {
            let mut v = vec![0f32; h];
            for r in row..row + s.len() {
                for (acc, x) in v.iter_mut().zip(&ws.x[r * h..(r + 1) * h]) {
                    *acc += x;
                }
            }
            row += s.len();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            for x in &mut v {
                *x /= norm;
            }
            out.push(v);
        }
        out
    }

    /// Multi-head self-attention of each sequence (no mask: no padding).
    /// Per sequence and head, the scores `Q·Kᵀ` and the context `P·V` are
    /// two small matrix products read straight from the packed `qkv`
    /// rows (strides, no copies); only one head's `len × len` scores exist
    /// at a time.
    fn attention(&self, seqs: &[&[u32]], ws: &mut Workspace) {
        let h = self.cfg.hidden_size;
        let heads = self.cfg.num_attention_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut offset = 0;
        for s in seqs {
            let len = s.len();
            ws.scores.resize(len * len, 0.0);
            for head in 0..heads {
                let q = &ws.qkv[offset * 3 * h + head * d..(offset + len) * 3 * h];
                let k = &ws.qkv[offset * 3 * h + h + head * d..(offset + len) * 3 * h];
                let v = &ws.qkv[offset * 3 * h + 2 * h + head * d..(offset + len) * 3 * h];
                let ctx = &mut ws.ctx[offset * h + head * d..(offset + len) * h];
                if gemm::attention_head(len, d, scale, (q, k, v, 3 * h), ctx, h, &mut ws.attention)
                {
                    continue;
                }
                // scores (len × len) = scale · Q (len × d) · Kᵀ (d × len)
                small_gemm(
                    (len, d, len),
                    scale,
                    (q, 3 * h, 1),
                    (k, 1, 3 * h),
                    (&mut ws.scores[..len * len], len),
                );
                for row in ws.scores[..len * len].chunks_exact_mut(len) {
                    math::softmax(row);
                }
                // context (len × d) = P (len × len) · V (len × d)
                let ctx = &mut ws.ctx[offset * h + head * d..(offset + len) * h];
                small_gemm(
                    (len, len, d),
                    1.0,
                    (&ws.scores[..len * len], len, 1),
                    (v, 3 * h, 1),
                    (ctx, h),
                );
            }
            offset += len;
        }
    }
}

/// `c = alpha · a · b` for `(m, k, n)`, each operand given as
/// `(slice, row stride, column stride)` and `c` row-major with its row
/// stride; every element addressed lies inside its slice (asserted).
fn small_gemm(
    (m, k, n): (usize, usize, usize),
    alpha: f32,
    (a, rsa, csa): (&[f32], usize, usize),
    (b, rsb, csb): (&[f32], usize, usize),
    (c, rsc): (&mut [f32], usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(k > 0 && last(m, k, rsa, csa) < a.len(), "a's extent");
    assert!(last(k, n, rsb, csb) < b.len(), "b's extent");
    assert!(last(m, n, rsc, 1) < c.len(), "c's extent");
    #[allow(unsafe_code)]
    // SAFETY: the asserts above keep every addressed element of a, b and
    // c inside its slice; c does not overlap a or b (distinct borrows).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            0.0,
            c.as_mut_ptr(),
            rsc as isize,
            1,
        );
    }
}

/// Activation buffers, reused across chunks.
#[derive(Default)]
struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    inter: Vec<f32>,
    scores: Vec<f32>,
    scratch: Scratch,
    attention: AttentionScratch,
}

impl Workspace {
    fn resize(&mut self, t: usize, h: usize, inter: usize) {
        self.x.resize(t * h, 0.0);
        self.qkv.resize(t * 3 * h, 0.0);
        self.ctx.resize(t * h, 0.0);
        self.tmp.resize(t * h, 0.0);
        self.inter.resize(t * inter, 0.0);
    }
}
